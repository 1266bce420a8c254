"""Forms of the account pages (server-rendered, no JavaScript): shape only, rules in accounts.services."""
from django import forms
from django.utils.translation import gettext_lazy as _


class _PageForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # the labels stand above their fields
        super().__init__(*args, **kwargs)


class ResetRequestForm(_PageForm):
    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))


class SetPasswordForm(_PageForm):
    new_password = forms.CharField(
        label=_("New password"), max_length=128, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
    )
    new_password_again = forms.CharField(
        label=_("New password again"), max_length=128, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password_again") not in (None, data["new_password"]):
            self.add_error("new_password_again", _("The two passwords differ."))
        return data


class ConfirmRegistrationForm(_PageForm):
    password = forms.CharField(
        label=_("The password you chose when you registered"), max_length=128, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
