"""Scenarios: run Locust load with a fault switched mid-run, predict when each alert should
fire and resolve from the configs, record the live alert timeline, and report and plot it.
"""
