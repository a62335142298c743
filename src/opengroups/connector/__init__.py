"""The Open WebUI connector: opengroups as the source of truth for the groups of one or
several Open WebUI instances (targets), through their REST API.

``plan`` (pure) compares what opengroups says with what a target holds; ``client`` reads and
writes a target; ``apply`` carries a plan out; ``service`` keeps the targets and ties the
rest together.
"""
