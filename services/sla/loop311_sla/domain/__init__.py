"""sla's rules, without I/O."""
