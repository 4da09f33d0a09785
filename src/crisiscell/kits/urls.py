"""Downtime kits, under /kits/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.kits_page, name="kits"),
    path("census", views.census_import, name="kits-census"),
    path("print", views.print_now, name="kits-print"),
    path("download/<str:token>", views.download, name="kits-download"),
    path("cards/", views.cards_page, name="kits-cards"),
    path("cards/<str:kind>", views.cards_page, name="kits-card"),
    path("cards/<str:kind>/save", views.card_save, name="kits-card-save"),
    path("passwords.pdf", views.password_sheet, name="kits-passwords"),
]
