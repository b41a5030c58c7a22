"""The bottom layer, importing nothing else from playground: settings, errors, the stack's
HTTP clients, polling, the repository's paths and loopback networking helpers.
"""
