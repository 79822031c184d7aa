"""SR methods: one small module per method, each following its paper."""
