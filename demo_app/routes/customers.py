"""GET /api/v1/customers/{customer_id}: a deterministic fake customer profile."""

from fastapi import APIRouter, Depends

from demo_app import cardinality_demo, paths
from demo_app.customers import customer_number, customer_profile
from demo_app.deps import SettingsDep, inject_http_fault
from demo_app.errors import ApiError
from demo_app.schemas import CustomerProfile, ErrorBody

router = APIRouter(tags=["customers"], dependencies=[Depends(inject_http_fault)])


@router.get(paths.CUSTOMER, responses={404: {"model": ErrorBody}})
async def get_customer(customer_id: str, settings: SettingsDep) -> CustomerProfile:
    """The profile of one customer; ids run from cus_00001 to cus_<DEMO_APP_CUSTOMER_COUNT>."""
    number = customer_number(customer_id, settings.DEMO_APP_CUSTOMER_COUNT)
    if number is None:
        raise ApiError(
            404,
            "customer_not_found",
            "No such customer. Customer ids run from cus_00001 to "
            f"cus_{settings.DEMO_APP_CUSTOMER_COUNT:05d}.",
        )
    # Lab 5's intentionally bad per-customer metric; does nothing unless switched on.
    cardinality_demo.record(f"cus_{number:05d}")
    return customer_profile(settings.DEMO_APP_SEED, number)
