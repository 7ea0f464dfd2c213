"""The host side of the Zarya link: framing, packets, authentication and the client."""
