"""What a chapter's notebooks import for their claims: only :data:`VGG` is left.

Every chapter builds its :class:`~srcore.chapters.verdicts.Claim` rows in its own
notebook; the constant lives in :mod:`srcore.chapters.verdicts`, and this module goes
once no notebook imports it from here.
"""

from srcore.chapters.verdicts import VGG

__all__ = ["VGG"]
