"""Local stand-ins for outside services, served on 127.0.0.1 (tests never reach the network)."""
