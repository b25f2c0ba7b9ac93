"""What accounts tell the apps above them without importing them."""

from django.dispatch import Signal

#: A user became a contributor (``user``, ``display_name``): the contributors app makes their profile.
contributor_registered = Signal()

#: A member left their organisation (``user``, ``organisation``): what was issued to them stops now
#: (delivery expires their download links).
member_removed = Signal()
