"""Rename an active client in two steps: the new name, then check your answers.

The new name waits in the session between the steps (see ``drafts``); the
check page sends back its submission key, so that a page left open from
another attempt cannot save a name it did not show.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages

from ..dates import format_date
from ..forms import RenameApiClientForm
from ..lifecycle import ApiClientError, Change
from ..services import rename_api_client
from .base import ApiClientObjectMixin, FormPageMixin
from .drafts import DraftFormMixin, DraftMixin


class RenameMixin(DraftMixin, ApiClientObjectMixin):
    permission_required = None
    any_permission_required = ["add", "change"]
    object_action = "change"
    lifecycle_change = Change.RENAME
    draft_flow = "rename"
    draft_form = RenameApiClientForm
    draft_form_page = "rename"
    draft_check_page = "rename_check"


class RenameView(FormPageMixin, DraftFormMixin, RenameMixin, FormView):
    template_name = "api_clients/rename.html"
    page_title = _("Change client name")
    breadcrumb_label = _("Change client name")
    form_class = RenameApiClientForm

    def get_initial(self):
        # Without answers to come back to, the form starts from the current name.
        return super().get_initial() or {"name": self.object.name}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["client"] = self.object
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=self.url_for("rename", self.object),
            submit_label=_("Continue"),
            cancel_url=self.url_for("inspect", self.object),
            expiry_date=format_date(self.object.expiry_date),
        )
        return context


class RenameCheckView(RenameMixin, TemplateView):
    template_name = "api_clients/check.html"
    page_title = _("Check your answers")
    breadcrumb_label = _("Check your answers")

    def get(self, request, *args, **kwargs):
        draft = self.get_draft()
        if draft is None:
            return self.back_to_form()
        return self.render_to_response(self.get_context_data(draft=draft))

    def post(self, request, *args, **kwargs):
        draft = self.get_draft()
        if draft is None:
            return self.back_to_form()
        if request.POST.get("submission", "") != draft["submission"]:
            return self.check_again()
        # Checked again by the same rules: the name may have been taken meanwhile.
        form = RenameApiClientForm.from_answers(draft, client=self.object)
        if not form.is_valid():
            return self.sibling(RenameView).form_invalid(form)
        try:
            rename_api_client(self.object, name=form.cleaned_data["name"], user=request.user)
        except ApiClientError as error:
            messages.error(request, str(error))
            return self.redirect_to_inspect()
        except ValidationError as error:
            # Another client took the name between the check above and the save.
            form.add_error("name", error.messages[0] if error.messages else None)
            return self.sibling(RenameView).form_invalid(form)
        self.forget_draft()
        messages.success(request, _("API client updated"))
        return self.redirect_to_inspect()

    def get_context_data(self, draft=None, **kwargs):
        context = super().get_context_data(**kwargs)
        if draft is None:
            return context
        change_url = self.url_for("rename", self.object) + "?change=1"
        context.update(
            caption=_("Change client name"),
            rows=[
                {
                    "label": _("Client name"),
                    "value": draft["name"],
                    "change_url": change_url + "#id_name",
                    "change_label": _("client name"),
                },
                {"label": _("Expiry date"), "value": format_date(self.object.expiry_date)},
            ],
            submit_label=_("Save API client"),
            submission=draft["submission"],
            action_url=self.url_for("rename_check", self.object),
            cancel_url=self.url_for("inspect", self.object),
        )
        return context
