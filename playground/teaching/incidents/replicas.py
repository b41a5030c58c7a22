"""The replica an incident breaks when the catalogue says CHOSEN_REPLICA (compose only).

The game asks Prometheus which demo_app replicas it scrapes and which is which:
``demo_app_replica_info`` carries each replica's DEMO_APP_REPLICA name (what a fault state
names), and the scrape adds its ``instance`` label (what the learner sees and answers). Only
replicas whose scrape is up count. The seed picks one, so a game can be played again.
"""

import random
from collections.abc import Iterable, Mapping

from playground.core.clients import PrometheusClient, StackApiError
from playground.core.errors import PlaygroundError
from playground.teaching.incidents.catalogue import ChosenReplica

# Every replica scraped right now, with its name: one sample per replica (its workers report
# the same name, so `max` folds them if a scrape ever shows more than one).
REPLICAS_QUERY = (
    'max by (instance, replica) (demo_app_replica_info{job="demo_app"})'
    ' and on (instance) up{job="demo_app"} == 1'
)


def replicas_from(samples: Iterable[Mapping[str, str]]) -> list[ChosenReplica]:
    """The replicas in Prometheus's answer (each sample's labels), sorted by instance.

    Raises:
        PlaygroundError: One instance reports two names (two replicas behind one address).
    """
    found: dict[str, str] = {}
    for labels in samples:
        instance, replica = labels.get("instance"), labels.get("replica")
        if not instance or not replica:
            continue
        if found.setdefault(instance, replica) != replica:
            raise PlaygroundError(
                f"{instance} reports two replica names ({found[instance]}, {replica}); "
                "each replica needs its own DEMO_APP_REPLICA"
            )
    return [ChosenReplica(replica=found[i], instance=i) for i in sorted(found)]


def pick_replica(replicas: list[ChosenReplica], seed: int) -> ChosenReplica:
    """The seed's pick among two or more replicas.

    Raises:
        PlaygroundError: Fewer than two replicas ("one of several" needs several).
    """
    names = {replica.replica for replica in replicas}
    if len(replicas) < 2 or len(names) < len(replicas):
        seen = ", ".join(f"{r.instance} ({r.replica})" for r in replicas) or "none"
        raise PlaygroundError(
            "This incident breaks one demo_app replica of several, but Prometheus scrapes "
            f"{len(replicas)} with distinct names ({seen}). Run compose with several: "
            "`docker compose up -d --scale demo_app=3`."
        )
    return random.Random(seed).choice(sorted(replicas, key=lambda r: r.instance))


def choose_live_replica(prometheus: PrometheusClient, seed: int) -> ChosenReplica:
    """Ask Prometheus for the replicas it scrapes and pick one with the seed."""
    try:
        raw = prometheus.query(REPLICAS_QUERY)
    except StackApiError as exc:
        raise PlaygroundError(f"Prometheus could not list demo_app's replicas: {exc}") from None
    return pick_replica(replicas_from(sample["metric"] for sample in raw), seed)
