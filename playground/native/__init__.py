"""The native stack: demo_app, the alert receiver, Prometheus and Alertmanager as local
processes on 127.0.0.1 (process management, port checks, tool lookup, rendered configs).
"""
