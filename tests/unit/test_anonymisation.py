"""The anonymisation scanner (pure) and text extraction from real text, HTML, PDF and Word files."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from domain.anonymisation import (
    CaseIdentifiers,
    Category,
    Hit,
    TextSection,
    match_key,
    scan,
    valid_nhs_number,
    valid_uk_phone,
)
from domain.documents import (
    DOCX,
    PDF,
    ContentMismatch,
    DocumentKind,
    UnsupportedType,
    check_content,
    kinds_to_publish,
    may_read,
    may_upload,
    normalise_content_type,
    safe_filename,
)
from domain.roles import Role
from store.document_text import (
    UnreadableDocumentError,
    docx_sections,
    extract_sections,
    has_text,
    html_text,
    pdf_sections,
)
from tests.support.document_files import make_docx, make_image_only_pdf, make_pdf

FAMILY = CaseIdentifiers(
    names=["Jayden Lee Smith", "Kelly O'Brien", "Darren Smith-Jones"],
    dates_of_birth=[date(2014, 3, 5)],
    addresses=["12 Acacia Avenue, Grimsby"],
    postcodes=["dn31 1hu"],
    schools=["Oakfield Primary School"],
    other=["Bluebell Ward"],
)


def found(text: str, identifiers: CaseIdentifiers = FAMILY) -> list[tuple[str, str]]:
    return [(hit.category.value, hit.matched) for hit in scan([TextSection(text=text)], identifiers)]


def test_full_names_and_each_part_of_a_name_are_found_whole_words_any_case() -> None:
    assert found("Kelly O'Brien attended.") == [("name", "Kelly O'Brien")]
    assert found("KELLY O\u2019BRIEN attended.") == [("name", "KELLY O\u2019BRIEN")]  # curly apostrophe
    assert found("Jayden Lee Smith was seen by jayden's GP; Lee and SMITH were told.") == [
        ("name", "Jayden Lee Smith"),
        ("name_part", "jayden"),
        ("name_part", "Lee"),
        ("name_part", "SMITH"),
    ]
    assert found("Mr Smith-Jones and Darren") == [
        ("name_part", "Smith"),
        ("name_part", "Jones"),
        ("name_part", "Darren"),
    ]
    assert found("Darren Smith-Jones") == [("name", "Darren Smith-Jones")]  # parts inside the full name: one hit


def test_ordinary_words_that_contain_a_name_are_not_hits() -> None:
    text = (
        "The Smithfield practice reviewed the annual plan. Kellyanne and Jaydens were not involved. "
        "The review was held on 1 April 2015 at the town hall; 42 agencies took part in 2014-2015 (3,456 contacts). "
        "Reference NEL-2026-0001, paragraph 5.3.14, version 2.0, telephone triage, email policy, the B2B service."
    )
    assert found(text) == []


@pytest.mark.parametrize(
    "written",
    [
        "2014-03-05",
        "05/03/2014",
        "5/3/2014",
        "05.03.2014",
        "05-03-2014",
        "05/03/14",
        "5 March 2014",
        "5th March 2014",
        "5th of March, 2014",
        "5 Mar 2014",
        "March 5, 2014",
        "march 5th 2014",
    ],
)
def test_a_date_of_birth_is_found_in_every_common_format(written: str) -> None:
    assert found(f"born on {written}.") == [("date_of_birth", written)]


def test_other_dates_and_numbers_around_a_birth_date_are_not_hits() -> None:
    assert found("Seen on 6 March 2014, 05/03/2015, 2014-03-50 and 15/03/2014; case 105/03/2014x.") == []
    assert found("See sections 5.3.14 and 05-03-14, and 05/03-2014.") == []


def test_addresses_street_lines_and_postcodes_with_any_spacing() -> None:
    assert found("They lived at 12 Acacia Avenue, Grimsby.") == [("address", "12 Acacia Avenue, Grimsby")]
    assert found("They lived at 12   Acacia\nAvenue , Grimsby.") == [("address", "12   Acacia\nAvenue , Grimsby")]
    assert found("A flat on Acacia Avenue; later 40 Acacia Avenue.") == [
        ("address", "Acacia Avenue"),
        ("address", "40 Acacia Avenue"),
    ]
    assert found("Postcode DN31 1HU, dn311hu and DN31  1HU.") == [
        ("postcode", "DN31 1HU"),
        ("postcode", "dn311hu"),
        ("postcode", "DN31  1HU"),
    ]
    # A postcode not recorded on the case is still flagged (it is an identifier pattern).
    [hit] = scan([TextSection(text="moved to SW1A 1AA")], FAMILY)
    assert (hit.category, hit.recorded, hit.matched) == (Category.POSTCODE, False, "SW1A 1AA")


def test_schools_are_found_with_or_without_their_generic_words() -> None:
    assert found("Oakfield Primary School raised concerns; Oakfield Primary did not.") == [
        ("school", "Oakfield Primary School"),
        ("school", "Oakfield Primary"),
    ]
    assert found("the primary school nearby") == []


def test_other_recorded_terms() -> None:
    assert found("admitted to bluebell ward") == [("other_identifier", "bluebell ward")]


@pytest.mark.parametrize(
    ("text", "category", "matched"),
    [
        ("NHS number 943 476 5919.", "nhs_number", "943 476 5919"),
        ("NHS number 9434765919.", "nhs_number", "9434765919"),
        ("NI number AB 12 34 56 C.", "ni_number", "AB 12 34 56 C"),
        ("NI number JG103759A.", "ni_number", "JG103759A"),
        ("call 07700 900123 now", "phone_number", "07700 900123"),
        ("call +44 7700 900123 now", "phone_number", "+44 7700 900123"),
        ("call +44 (0)20 7946 0018 now", "phone_number", "+44 (0)20 7946 0018"),
        ("call (01632) 960001 now", "phone_number", "(01632) 960001"),
        ("call 020-7946-0018 now", "phone_number", "020-7946-0018"),
        ("write to someone.else+scr@example.org.", "email", "someone.else+scr@example.org"),
    ],
)
def test_identifier_patterns(text: str, category: str, matched: str) -> None:
    empty = CaseIdentifiers()
    assert found(text, empty) == [(category, matched)]


@pytest.mark.parametrize(
    "text",
    [
        "NHS number 943 476 5918 (bad check digit)",
        "1234567890 contacts",
        "NI QQ 12 34 56 C and BG 12 34 56 A are not allocated",
        "0800 freephone? 12345 678 and 999",
        "between 2010 and 2014 1,234 calls",
        "version 1.2.3 at example dot org",
    ],
)
def test_no_pattern_hits_in_ordinary_numbers(text: str) -> None:
    assert found(text, CaseIdentifiers()) == []


def test_a_name_inside_an_email_address_is_reported_once_as_the_address() -> None:
    assert found("emailed jayden.smith@example.org") == [("email", "jayden.smith@example.org")]


def test_each_hit_has_its_place() -> None:
    sections = [
        TextSection(text="Nothing here.\nStill nothing.", page=1),
        TextSection(text="First paragraph.\n\nSecond paragraph\nmentions Kelly here.", page=2),
    ]
    [hit] = scan(sections, FAMILY)
    assert hit.category is Category.NAME_PART
    assert (hit.place.page, hit.place.paragraph, hit.place.line, hit.place.character) == (2, 2, 4, 10)
    assert hit.place.describe() == "page 2, paragraph 2, line 4, character 10"
    assert sections[1].text[hit.place.offset : hit.place.offset + 5] == "Kelly"


def test_hits_say_what_they_matched_by_category_not_by_identifier() -> None:
    [hit] = scan([TextSection(text="Lee")], FAMILY)
    dumped = hit.model_dump()
    assert set(dumped) == {"category", "recorded", "matched", "place"}
    assert "Jayden" not in str(dumped)


def test_match_key_ignores_case_and_spacing() -> None:
    assert match_key("name", "Kelly  O'Brien") == match_key("name", "kelly o'brien")
    assert match_key("name", "Kelly") != match_key("name_part", "Kelly")


def test_identifiers_validation_never_repeats_a_value() -> None:
    with pytest.raises(ValidationError) as caught:
        CaseIdentifiers(postcodes=["NOT A POSTCODE"])
    assert "postcode 1 is not a UK postcode" in str(caught.value)
    messages = " ".join(error["msg"] for error in caught.value.errors())
    assert "NOT A POSTCODE" not in messages
    assert CaseIdentifiers(postcodes=["dn311hu"]).postcodes == ["DN31 1HU"]
    assert CaseIdentifiers().is_empty()


def test_nhs_and_phone_validators() -> None:
    assert valid_nhs_number("943 476 5919")
    assert not valid_nhs_number("943 476 5918")
    assert valid_uk_phone("+44 7700 900123")
    assert not valid_uk_phone("0400 123456")  # no UK number starts 04


# Extraction


def test_html_loses_tags_scripts_and_styles_but_keeps_the_text() -> None:
    source = (
        "<html><head><title>Review</title><style>p {color: red}</style>"
        "<script>var child = 'Jayden';</script></head><body><h1>Overview</h1>"
        "<p>The child, <b>Jayden</b>, &amp; his mother.</p><ul><li>one</li><li>two</li></ul>"
        "<!-- Kelly -->line<br>break</body></html>"
    )
    text = html_text(source)
    assert text == "Review\n\nOverview\n\nThe child, Jayden, & his mother.\n\none\n\ntwo\n\nline\nbreak"
    assert found(text) == [("name_part", "Jayden")]


def test_text_and_markdown_are_decoded_as_utf8() -> None:
    [section] = extract_sections("text/markdown", "# Review\n\nKelly’s account\n".encode())
    assert section.text == "# Review\n\nKelly’s account\n"
    with pytest.raises(UnreadableDocumentError):
        extract_sections("text/plain", b"\xff\xfe bad")


def test_pdf_text_is_found_with_its_page_and_line() -> None:
    data = make_pdf(
        [
            ["Overview report", "The review considered agency contact."],
            ["Findings", "Agencies did not share information", "about Jayden and his mother."],
        ],
        title="Overview report",
    )
    sections = pdf_sections(data)
    assert [s.page for s in sections if s.part == "body"] == [1, 2]
    assert has_text(sections)
    [hit] = scan(sections, FAMILY)
    assert (hit.category, hit.matched) == (Category.NAME_PART, "Jayden")
    assert (hit.place.page, hit.place.line, hit.place.character) == (2, 3, 7)


def test_pdf_properties_are_scanned_too() -> None:
    data = make_pdf([["Nothing identifying."]], title="Review of Kelly O'Brien's family")
    [hit] = scan(pdf_sections(data), FAMILY)
    assert (hit.category, hit.place.part) == (Category.NAME, "properties")


def test_a_pdf_without_text_or_a_damaged_one() -> None:
    assert not has_text(pdf_sections(make_image_only_pdf()))
    with pytest.raises(UnreadableDocumentError):
        pdf_sections(b"%PDF-1.4\nthis is not really a pdf")


def test_docx_paragraphs_tables_headers_and_properties_are_scanned() -> None:
    data = make_docx(
        ["Executive summary.", "", "The family lived in the town.", "Jayden was seen at school."],
        table=[["Agency", "Contact"], ["School", "Oakfield Primary School"]],
        header="Confidential: the O'Brien review",
        title="Executive summary",
    )
    sections = docx_sections(data)
    hits = scan(sections, FAMILY)
    assert [(h.category.value, h.matched, h.place.describe()) for h in hits] == [
        ("name_part", "Jayden", "paragraph 3, line 1, character 1"),
        ("school", "Oakfield Primary School", "paragraph 7, line 1, character 1"),
        ("name_part", "O'Brien", "header, paragraph 1, line 1, character 19"),
    ]


def test_a_damaged_docx_is_unreadable() -> None:
    with pytest.raises(UnreadableDocumentError):
        docx_sections(b"PK\x03\x04 not a zip")


# Document rules


def test_declared_types_and_content_sniffing() -> None:
    assert normalise_content_type("text/plain; charset=utf-8") == "text/plain"
    with pytest.raises(UnsupportedType, match="are not accepted"):
        normalise_content_type("application/zip")
    with pytest.raises(UnsupportedType):
        normalise_content_type(None)
    check_content(PDF, make_pdf([["x"]]), max_bytes=10**6)
    check_content(DOCX, make_docx(["x"]), max_bytes=10**6)
    check_content("text/plain", "plain £ text".encode(), max_bytes=10**6)
    with pytest.raises(ContentMismatch, match="not a PDF"):
        check_content(PDF, b"hello", max_bytes=10**6)
    with pytest.raises(ContentMismatch, match=r"not a \.docx"):
        check_content(DOCX, _zip_without_document(), max_bytes=10**6)
    with pytest.raises(ContentMismatch, match="not valid UTF-8"):
        check_content("text/plain", "caf\xe9".encode("latin-1"), max_bytes=10**6)
    with pytest.raises(ContentMismatch, match="is a PDF or Word"):
        check_content("text/plain", make_pdf([["x"]]), max_bytes=10**6)
    with pytest.raises(ContentMismatch, match="empty"):
        check_content("text/plain", b"", max_bytes=10**6)
    with pytest.raises(ContentMismatch, match="implausible size"):  # expands far beyond the upload limit
        check_content(DOCX, make_docx(["x"]), max_bytes=1000)


def _zip_without_document() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("hello.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("/var/lib/report.pdf", "report.pdf"),
        ("..", "document.pdf"),
        ("", "document.pdf"),
        (None, "document.pdf"),
        ('a"b\r\nc;d.pdf', "a_b__c_d.pdf"),
        ("  overview report .pdf  ", "overview report .pdf"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_filenames_are_reduced_to_a_safe_basename(raw: str | None, expected: str) -> None:
    assert safe_filename(raw, content_type=PDF) == expected


def test_who_may_upload_and_read_which_kinds() -> None:
    assert may_upload(Role.AGENCY_CONTACT, DocumentKind.IMR)
    assert may_upload(Role.AGENCY_CONTACT, DocumentKind.AGENCY_ACCOUNT)
    assert not may_upload(Role.AGENCY_CONTACT, DocumentKind.OVERVIEW_REPORT)
    assert may_upload(Role.LEAD_REVIEWER, DocumentKind.OVERVIEW_REPORT)
    assert not may_upload(Role.PUBLISHER, DocumentKind.OVERVIEW_REPORT)
    assert may_read(Role.PUBLISHER, DocumentKind.EXECUTIVE_SUMMARY)
    assert not may_read(Role.PUBLISHER, DocumentKind.IMR)
    assert not may_read(Role.AUDITOR, DocumentKind.IMR)  # agencies' accounts: the review's people only
    assert not may_read(Role.OPERATOR, DocumentKind.OVERVIEW_REPORT)
    assert DocumentKind.IMR not in kinds_to_publish(withheld=False)
    assert kinds_to_publish(withheld=True) == (DocumentKind.BOARD_RESPONSE,)


def test_hit_is_plain_data() -> None:
    [hit] = scan([TextSection(text="Kelly")], FAMILY)
    assert Hit.model_validate(hit.model_dump()) == hit
