"""What the transport is made of: retries, origin rules, encoding, responses, pagination, redaction.

Everything here knows HTTP and the protocol conventions of API.md and nothing about projects or tasks.
Users talk to :class:`synapse.transport.Transport` (``client.transport``), not to these modules.
"""
