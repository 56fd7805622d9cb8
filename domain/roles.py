"""Who may act in the process (scr-process.md, "Roles")."""

from enum import StrEnum


class Role(StrEnum):
    LOCAL_AUTHORITY = "local_authority"
    AGENCY_MANAGER = "agency_manager"
    BUSINESS_MANAGER = "business_manager"
    SUB_GROUP = "sub_group"
    INDEPENDENT_CHAIR = "independent_chair"
    PEER_CHAIR = "peer_chair"
    NATIONAL_PANEL = "national_panel"
    LEAD_REVIEWER = "lead_reviewer"
    AGENCY_CONTACT = "agency_contact"
    PUBLISHER = "publisher"
    AUDITOR = "auditor"
    OPERATOR = "operator"


class Recipient(StrEnum):
    """External recipients of notices; they are told, they never act in the system."""

    OFSTED = "ofsted"
    DFE = "dfe"
    NATIONAL_PANEL = "national_panel"
    FAMILY = "family"
    PROFESSIONALS = "professionals"
    LSCB = "lscb"
    PARTNERS = "partners"  # the board's partner agencies: they receive the annual learning summary
