"""The register's data: training providers."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProviderType(models.TextChoices):
    HIGHER_EDUCATION_INSTITUTION = "hei", _("Higher education institution")
    SCHOOL = "school", _("School")
    OTHER = "other", _("Other")


class AccreditationStatus(models.TextChoices):
    ACCREDITED = "accredited", _("Accredited")
    UNACCREDITED = "unaccredited", _("Unaccredited")


class TrainingProviderQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)


class TrainingProvider(models.Model):
    operating_name = models.CharField(_("operating name"), max_length=255)
    legal_name = models.CharField(_("legal name"), max_length=255, blank=True)
    provider_type = models.CharField(
        _("provider type"), max_length=20, choices=ProviderType.choices
    )
    code = models.CharField(
        _("provider code"),
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]{3}$", _("Enter 3 letters or digits, like 1TZ"))],
    )
    ukprn = models.CharField(
        _("UKPRN"),
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^1\d{7}$", _("Enter 8 digits starting with 1"))],
    )
    urn = models.CharField(
        _("URN"),
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{5,6}$", _("Enter 5 or 6 digits"))],
    )
    accreditation_status = models.CharField(
        _("accreditation status"), max_length=20, choices=AccreditationStatus.choices
    )
    updated_at = models.DateTimeField(
        _("updated at"), default=timezone.now, db_index=True, editable=False
    )
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)

    objects = TrainingProviderQuerySet.as_manager()

    class Meta:
        verbose_name = _("training provider")
        verbose_name_plural = _("training providers")
        ordering = ["operating_name", "id"]
        indexes = [models.Index(fields=["updated_at", "id"], name="register_provider_changed")]

    def __str__(self):
        return self.operating_name

    def save(self, *args, **kwargs):
        self.updated_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)
