"""The composition root: settings, resource factories, components and the `eco2` command."""
