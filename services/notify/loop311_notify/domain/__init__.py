"""notify's rules, without I/O."""
