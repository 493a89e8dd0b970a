"""Staff edit training providers in the CMS as snippets; removing one soft-deletes it."""

from django.utils import timezone
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import DeleteView, SnippetViewSet

from .models import TrainingProvider


class ProviderDeleteView(DeleteView):
    def delete_action(self):
        # Hidden from the API and the admin, kept for the record.
        self.object.deleted_at = timezone.now()
        self.object.save(update_fields=["deleted_at"])


class TrainingProviderViewSet(SnippetViewSet):
    model = TrainingProvider
    icon = "group"
    menu_label = "Training providers"
    menu_name = "training_providers"
    add_to_admin_menu = True
    menu_order = 300
    list_display = [
        "operating_name",
        "code",
        "ukprn",
        "provider_type",
        "accreditation_status",
        "updated_at",
    ]
    list_filter = ["provider_type", "accreditation_status"]
    search_fields = ["operating_name", "legal_name", "code", "ukprn"]
    delete_view_class = ProviderDeleteView
    form_fields = [
        "operating_name",
        "legal_name",
        "provider_type",
        "code",
        "ukprn",
        "urn",
        "accreditation_status",
    ]

    def get_queryset(self, request):
        return TrainingProvider.objects.live()


register_snippet(TrainingProviderViewSet)
