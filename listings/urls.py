from rest_framework.routers import SimpleRouter

from listings import views

router = SimpleRouter()
router.register("categories", views.CategoryViewSet, basename="category")
router.register("listings", views.ListingViewSet, basename="listing")
router.register("favourites", views.FavouriteViewSet, basename="favourite")
router.register("moderation/reports", views.ModerationReportViewSet, basename="moderation-report")

urlpatterns = router.urls
