"""Helpers of the service log, a subpackage imported by its bare name."""
