"""What accounts tell the apps above them without importing them."""

from django.dispatch import Signal

#: A user became a contributor (``user``, ``display_name``): the contributors app makes their profile.
contributor_registered = Signal()
