from django.urls import path

from stockdata.core import views

app_name = "core"

urlpatterns = [
    path("staff/", views.StaffDashboardView.as_view(), name="staff_dashboard"),
    path("staff/withdrawals/", views.StaffWithdrawalsView.as_view(), name="staff_withdrawals"),
    path("staff/failed-jobs/", views.StaffFailedJobsView.as_view(), name="staff_failed_jobs"),
    path("staff/contact/", views.ContactMessageListView.as_view(), name="contact_messages"),
    path("staff/contact/<int:pk>/", views.ContactMessageDetailView.as_view(), name="contact_message"),
    path("legal/terms/", views.LegalPageView.as_view(page="terms"), name="terms"),
    path("legal/terms/accept/", views.terms_accept, name="terms_accept"),
    path("legal/privacy/", views.LegalPageView.as_view(page="privacy"), name="privacy"),
    path("legal/commerce/", views.LegalPageView.as_view(page="commerce"), name="commerce"),
    path("legal/company/", views.LegalPageView.as_view(page="company"), name="company"),
    path("contact/", views.ContactView.as_view(), name="contact"),
]
