"""The original SDK's flat clients, kept as facades over the object model."""
