from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models


class Person(AbstractBaseUser, PermissionsMixin):
    """The least a user model can be: ``is_active`` is AbstractBaseUser's constant, not a column."""

    username = models.CharField(max_length=50, unique=True)

    USERNAME_FIELD = "username"
    objects = BaseUserManager()
