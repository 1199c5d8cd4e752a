"""Internal tokens API routes, mounted under ``/api/v1/`` (no trailing slashes)."""

from django.urls import path

from roaming.tokens.api import views

app_name = "tokens-api"

urlpatterns = [
    path("authorize", views.AuthorizeApiView.as_view(), name="authorize"),
    path("tokens", views.TokenListCreateApiView.as_view(), name="token-list"),
    path("tokens/<str:uid>", views.TokenApiView.as_view(), name="token"),
    path("tokens/<str:uid>/block", views.TokenBlockApiView.as_view(), name="token-block"),
    path("tokens/<str:uid>/unblock", views.TokenUnblockApiView.as_view(), name="token-unblock"),
    path("contracts/<str:contract_id>/tokens", views.ContractTokensApiView.as_view(), name="contract-tokens"),
]
