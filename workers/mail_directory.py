"""Who gets which notice: recipients and roles mapped to the addresses configured for this board."""

from __future__ import annotations

from domain.roles import Recipient, Role
from store.settings import Settings


def mail_directory(settings: Settings) -> dict[str, str]:
    directory = {
        Recipient.OFSTED.value: settings.mail_ofsted,
        Recipient.DFE.value: settings.mail_dfe,
        Recipient.NATIONAL_PANEL.value: settings.mail_national_panel,
        Recipient.LSCB.value: settings.mail_business_manager,
        Role.INDEPENDENT_CHAIR.value: settings.mail_chair,
        Role.SUB_GROUP.value: settings.mail_sub_group,
        Role.BUSINESS_MANAGER.value: settings.mail_business_manager,
    }
    # Every other role acts through the board's business manager until it has an address of its own.
    for role in Role:
        directory.setdefault(role.value, settings.mail_business_manager)
    return directory
