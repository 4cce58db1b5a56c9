"""The object-model engine: the resource base, fields, relations, managers, QuerySets and building.

Resource declarations live in :mod:`synapse.resources`; this package is what makes them work.
"""
