"""Keep clients consistent with their owner's account."""

from django.contrib.auth import get_user_model
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from wagtail.log_actions import get_active_log_context

from .services import delete_clients_of_owner


@receiver(pre_delete, sender=get_user_model())
def soft_delete_clients_of_deleted_owner(sender, instance, **kwargs):
    # Before the user row goes (and owner becomes NULL), so each client's
    # audit entry still records whose it was.
    actor = get_active_log_context().user
    delete_clients_of_owner(instance, user=actor if actor and actor.pk != instance.pk else None)
