"""Linear algebra (placeholder)."""

__all__: list[str] = []
