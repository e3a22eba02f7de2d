"""Adapters: store configuration, CLI, batch files. They translate; they hold no rules."""
