"""What the av-client commands do, one module per command group; cli.py only parses and prints."""
