"""Analyses shared by rules: names, constants, and (later) files, contexts and types."""
