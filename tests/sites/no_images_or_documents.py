"""A Wagtail site without Wagtail's images or documents: the app must migrate there too."""

SECRET_KEY = "a-site-without-images-or-documents"
USE_TZ = True
ROOT_URLCONF = "no_images_or_documents_urls"
INSTALLED_APPS = [
    "api_clients",
    "guardian",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "api_clients.middleware.ApiClientUsageMiddleware",
    "api_clients.middleware.ApiOnlyUserAdminMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None
STATIC_URL = "/static/"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WAGTAIL_SITE_NAME = "No images or documents"
WAGTAILADMIN_BASE_URL = "http://localhost"
NINJA_NUM_PROXIES = 0
