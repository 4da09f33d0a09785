from django.urls import path

from . import views

urlpatterns = [
    path("", views.directory, name="directory"),
    path("new", views.contact_new, name="directory-new"),
    path("<int:pk>/edit", views.contact_edit, name="directory-edit"),
    path("<int:pk>/delete", views.contact_delete, name="directory-delete"),
    path("import", views.contact_import, name="directory-import"),
    path("export.csv", views.contact_export, name="directory-export"),
    path("print.pdf", views.print_pdf, name="directory-print"),
]
