"""``/s/<token>/documents/<number>/``: an invoice or credit note of the token's order as PDF,
for the customer's own order page (``billing.views.customer_documents``)."""

from django.urls import path

from billing.views import customer_documents

app_name = "status_documents"

urlpatterns = [path("<str:token>/documents/<str:number>/", customer_documents.document_pdf, name="document")]
