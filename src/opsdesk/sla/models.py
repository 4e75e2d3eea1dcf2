"""Service-level policies and the clocks they run on tickets."""
