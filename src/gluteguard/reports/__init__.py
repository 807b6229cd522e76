"""Reports a runner can keep or share: self-contained files built from the services' results."""
