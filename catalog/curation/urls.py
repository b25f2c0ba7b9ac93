"""Staff curation pages, mounted at /staff/datasets/ (namespace ``curation``)."""

from django.urls import path

from catalog.curation import views

app_name = "curation"

urlpatterns = [
    path("", views.DatasetListView.as_view(), name="list"),
    path("new/", views.DatasetCreateView.as_view(), name="create"),
    # The box editor for any photo; under this prefix because the root URLconf mounts only it.
    path("photos/<uuid:uuid>/boxes/", views.PhotoBoxesView.as_view(), name="photo_boxes"),
    path("<slug:slug>/edit/", views.DatasetEditView.as_view(), name="edit"),
    path("<slug:slug>/curate/", views.CurateView.as_view(), name="curate"),
    path("<slug:slug>/curate/preview/", views.PreviewView.as_view(), name="preview"),
    path("<slug:slug>/curate/tags/", views.TagSuggestionsView.as_view(), name="tag_suggestions"),
    path("<slug:slug>/curate/apply/", views.ApplyQueryView.as_view(), name="apply"),
    path("<slug:slug>/curate/add/", views.AddPhotosView.as_view(), name="add_photos"),
    path("<slug:slug>/curate/remove/<uuid:uuid>/", views.RemovePhotoView.as_view(), name="remove_photo"),
    path("<slug:slug>/freeze/", views.FreezeView.as_view(), name="freeze"),
    path("<slug:slug>/publish/", views.StatusView.as_view(action="publish"), name="publish"),
    path("<slug:slug>/retire/", views.StatusView.as_view(action="retire"), name="retire"),
    path("<slug:slug>/annotate/", views.AnnotateView.as_view(), name="annotate"),
]
