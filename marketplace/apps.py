from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"

    def ready(self):
        from marketplace.api.times import use_utc_for_api_times

        use_utc_for_api_times()
