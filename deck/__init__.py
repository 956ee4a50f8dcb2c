"""deck: lecture slides whose numbers are computed, never typed."""
from .errors import ClaimError, DeckError, Location

__all__ = ["DeckError", "ClaimError", "Location"]
__version__ = "0.1.0"
