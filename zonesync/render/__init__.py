"""Plan renderers: the Plan is data; rendering never decides anything."""
