"""Rename an active client in two steps: the new name, then check your answers."""

from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages

from ..dates import format_date
from ..forms import RenameApiClientForm
from ..lifecycle import ApiClientError, Change
from ..services import rename_api_client
from .base import ApiClientObjectMixin, FormPageMixin


def draft_key(client):
    return f"api_clients:rename:{client.pk}"


class RenameMixin(ApiClientObjectMixin):
    permission_required = None
    any_permission_required = ["add", "change"]
    object_action = "change"
    lifecycle_change = Change.RENAME


class RenameView(FormPageMixin, RenameMixin, FormView):
    template_name = "api_clients/rename.html"
    page_title = _("Change client name")
    breadcrumb_label = _("Change client name")
    form_class = RenameApiClientForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["client"] = self.object
        draft = self.request.session.get(draft_key(self.object))
        if self.request.method == "GET":
            if "change" in self.request.GET and isinstance(draft, str):
                kwargs["initial"] = {"name": draft}
            else:
                self.request.session.pop(draft_key(self.object), None)
                kwargs["initial"] = {"name": self.object.name}
        return kwargs

    def form_valid(self, form):
        self.request.session[draft_key(self.object)] = form.cleaned_data["name"]
        return redirect(self.url_for("rename_check", self.object))

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

    def get_draft(self):
        draft = self.request.session.get(draft_key(self.object))
        return draft if isinstance(draft, str) else None

    def get(self, request, *args, **kwargs):
        if self.get_draft() is None:
            return redirect(self.url_for("rename", self.object))
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        name = self.get_draft()
        if name is None:
            return redirect(self.url_for("rename", self.object))
        form = RenameApiClientForm.from_answers({"name": name}, client=self.object)
        if not form.is_valid():
            return self.sibling(RenameView).form_invalid(form)
        try:
            rename_api_client(self.object, name=form.cleaned_data["name"], user=request.user)
        except ApiClientError as error:
            messages.error(request, str(error))
            return redirect(self.url_for("inspect", self.object))
        request.session.pop(draft_key(self.object), None)
        messages.success(request, _("API client updated"))
        return redirect(self.url_for("inspect", self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        change_url = self.url_for("rename", self.object) + "?change=1"
        context.update(
            caption=_("Change client name"),
            rows=[
                {
                    "label": _("Client name"),
                    "value": self.get_draft(),
                    "change_url": change_url + "#id_name",
                    "change_label": _("client name"),
                },
                {"label": _("Expiry date"), "value": format_date(self.object.expiry_date)},
            ],
            submit_label=_("Save API client"),
            action_url=self.url_for("rename_check", self.object),
            cancel_url=self.url_for("inspect", self.object),
        )
        return context
