//! The console's wording in Dutch and English: one table of labels, looked up by key from
//! the templates (`{{ p.t.t("queue") }}`), so both languages stay side by side.

use crate::domain::{Channel, Language, Role, Status};

/// The label helper a template holds.
#[derive(Debug, Clone, Copy)]
pub struct T(pub Language);

impl T {
    /// The label of `key` in this language; an unknown key shows itself (a missing label is
    /// seen at once in the browser tests' screenshots).
    pub fn t(&self, key: &'static str) -> &'static str {
        let (nl, en) = pair(key).unwrap_or((key, key));
        match self.0 {
            Language::Nl => nl,
            Language::En => en,
        }
    }

    pub fn is_en(&self) -> bool {
        self.0 == Language::En
    }
}

fn pair(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "console" => ("Console", "Console"),
        "skip" => ("Naar de inhoud", "Skip to content"),
        "queue" => ("Wachtrij", "Queue"),
        "new_request" => ("Verzoek invoeren", "Enter a request"),
        "sign_in" => ("Inloggen", "Sign in"),
        "sign_out" => ("Uitloggen", "Sign out"),
        "signed_in_as" => ("Ingelogd als", "Signed in as"),
        "email" => ("E-mailadres", "E-mail address"),
        "password" => ("Wachtwoord", "Password"),
        "login_intro" => (
            "Log in met het e-mailadres en wachtwoord van uw account bij de verwerker.",
            "Sign in with the e-mail address and password of your account with the processor.",
        ),
        "login_failed" => (
            "Inloggen is niet gelukt. Controleer uw e-mailadres en wachtwoord.",
            "Signing in did not work. Check your e-mail address and password.",
        ),
        "login_for_request" => (
            "Log in om het verzoek te openen; daarna komt u er direct terecht.",
            "Sign in to open the request; you will be taken straight to it.",
        ),
        "there_is_a_problem" => ("Er is een probleem", "There is a problem"),
        "language_switch" => ("Taal", "Language"),
        "role_admin" => ("beheerder", "admin"),
        "role_support" => ("support", "support"),
        "role_controller" => ("verwerkingsverantwoordelijke", "controller"),
        "filters" => ("Filters", "Filters"),
        "status" => ("Status", "Status"),
        "tenant" => ("Klant", "Tenant"),
        "kind" => ("Soort verzoek", "Kind of request"),
        "channel" => ("Kanaal", "Channel"),
        "all" => ("Alle", "All"),
        "only_overdue" => ("Alleen te laat", "Only overdue"),
        "only_open" => ("Alleen open", "Only open"),
        "apply" => ("Toon", "Show"),
        "clear" => ("Wis filters", "Clear filters"),
        "search" => ("Zoeken", "Search"),
        "search_label" => (
            "Kenmerk of e-mailadres van de betrokkene",
            "Reference or the subject's e-mail address",
        ),
        "search_hint" => (
            "Bijvoorbeeld DSR-2026-000042 of anna@example.nl. Het adres komt niet in de adresbalk.",
            "For example DSR-2026-000042 or anna@example.nl. The address never appears in the address bar.",
        ),
        "search_invalid" => (
            "Vul een kenmerk (DSR-JJJJ-NNNNNN) of een e-mailadres in",
            "Enter a reference (DSR-YYYY-NNNNNN) or an e-mail address",
        ),
        "search_results" => ("Zoekresultaten", "Search results"),
        "back_to_queue" => ("Terug naar de wachtrij", "Back to the queue"),
        "nothing_found" => ("Geen verzoeken gevonden.", "No requests found."),
        "reference" => ("Kenmerk", "Reference"),
        "received" => ("Ontvangen", "Received"),
        "target" => ("Uiterlijk", "Due"),
        "overdue" => ("te laat", "overdue"),
        "working_days_left" => ("werkdagen over", "working days left"),
        "paused" => ("termijn staat stil", "clock paused"),
        "closed" => ("afgesloten", "closed"),
        "counts" => ("Aantal per status", "Count per status"),
        "total" => ("totaal", "total"),
        "more_than" => ("meer dan", "more than"),
        "page" => ("Pagina", "Page"),
        "of" => ("van", "of"),
        "previous" => ("Vorige", "Previous"),
        "next" => ("Volgende", "Next"),
        "pagination" => ("Paginering", "Pagination"),
        "no_tenant" => ("nog niet toegewezen", "not yet assigned"),
        "request" => ("Verzoek", "Request"),
        "who" => ("Betrokkene", "Subject"),
        "name" => ("Naam", "Name"),
        "phone" => ("Telefoon", "Phone"),
        "details" => ("Toelichting", "Details"),
        "language" => ("Taal van de betrokkene", "Subject's language"),
        "what" => ("Verzoek", "Request"),
        "deadline" => ("Termijn", "Deadline"),
        "legal_due" => (
            "Wettelijke termijn (art. 12 lid 3 AVG)",
            "Legal deadline (Art. 12(3) GDPR)",
        ),
        "promised_due" => ("Beloofd (vier weken)", "Promised (four weeks)"),
        "extended_due" => ("Verlengd tot", "Extended to"),
        "extension_reason" => ("Reden van verlenging", "Reason for the extension"),
        "paused_days" => ("Dagen stilgestaan", "Days paused"),
        "why_paused" => ("Waarom stil", "Why paused"),
        "paused_verification" => (
            "wacht op bevestiging van het e-mailadres",
            "waiting for the e-mail address to be confirmed",
        ),
        "paused_identity" => (
            "wacht op gegevens om de identiteit vast te stellen",
            "waiting for information to establish the identity",
        ),
        "identity" => ("Identiteit", "Identity"),
        "identity_pending" => (
            "Gegevens gevraagd, nog niet ontvangen",
            "Asked, not yet received",
        ),
        "identity_checked" => ("Vastgesteld", "Established"),
        "identity_none" => ("Niet gevraagd", "Not asked"),
        "identifiers" => (
            "Extra kenmerken voor het zoeken",
            "Extra identifiers for the search",
        ),
        "outcome" => ("Uitkomst", "Outcome"),
        "result_label" => ("Antwoord", "Answer"),
        "result_done" => ("Uitgevoerd", "Done"),
        "result_no_data" => (
            "Geen persoonsgegevens over de betrokkene (een antwoord, geen afwijzing)",
            "No personal data about the subject (an answer, not a refusal)",
        ),
        "release_bundle_label" => (
            "Het exportpakket vrijgeven: de betrokkene downloadt het op de statuspagina met een gemailde code (inzage en overdracht)",
            "Release the bundle: the subject downloads it on the status page with a mailed code (access and portability)",
        ),
        "refusal" => ("Afwijzing", "Refusal"),
        "history" => ("Verloop", "History"),
        "actions" => ("Wat kunt u nu doen", "What you can do now"),
        "no_actions" => (
            "Er is nu niets te doen aan dit verzoek.",
            "There is nothing to do on this request now.",
        ),
        "act_assign" => ("Toewijzen aan een klant", "Assign to a tenant"),
        "act_forward" => (
            "Doorsturen naar de verwerkingsverantwoordelijke",
            "Forward to the controller",
        ),
        "act_acknowledge" => ("Aannemen", "Acknowledge"),
        "act_start" => ("Behandeling beginnen", "Start handling"),
        "act_extend" => ("Termijn verlengen", "Extend the deadline"),
        "act_request_identity" => (
            "Gegevens vragen om de identiteit vast te stellen",
            "Ask for information to establish the identity",
        ),
        "act_identity_confirmed" => ("Identiteit vastgesteld", "Identity established"),
        "act_complete" => ("Afhandelen", "Complete"),
        "act_refuse" => ("Afwijzen", "Refuse"),
        "act_withdraw" => ("Intrekken namens de betrokkene", "Withdraw for the subject"),
        "note" => ("Notitie (optioneel)", "Note (optional)"),
        "note_required" => (
            "Wat vraagt u de betrokkene?",
            "What do you ask the subject?",
        ),
        "note_hint" => (
            "De betrokkene leest dit in de e-mail.",
            "The subject reads this in the e-mail.",
        ),
        "months" => ("Met hoeveel maanden", "By how many months"),
        "one_month" => ("1 maand", "1 month"),
        "two_months" => ("2 maanden", "2 months"),
        "extend_reason" => (
            "Reden (de betrokkene leest deze)",
            "Reason (the subject reads it)",
        ),
        "extend_hint" => (
            "Art. 12 lid 3 AVG: alleen bij ingewikkelde of veel verzoeken, en de betrokkene hoort het binnen een maand.",
            "Art. 12(3) GDPR: only for complex or numerous requests, and the subject is told within one month.",
        ),
        "method" => (
            "Hoe is de identiteit vastgesteld?",
            "How was the identity established?",
        ),
        "method_hint" => (
            "Alleen de manier, nooit een kopie of nummer van een document.",
            "Only how, never a copy or number of a document.",
        ),
        "outcome_label" => (
            "Wat is er gedaan (de betrokkene leest dit)",
            "What was done (the subject reads it)",
        ),
        "ground" => ("Grond", "Ground"),
        "choose" => ("Kies…", "Choose…"),
        "refuse_reason" => (
            "Toelichting voor de betrokkene",
            "Explanation for the subject",
        ),
        "refuse_hint" => (
            "Art. 12 lid 4 AVG: de betrokkene hoort waarom, en dat een klacht bij de Autoriteit Persoonsgegevens of de rechter mogelijk is.",
            "Art. 12(4) GDPR: the subject is told why, and that a complaint to the Dutch DPA or the court is possible.",
        ),
        "bundle" => ("Gegevensbundel", "Data bundle"),
        "bundle_intro" => (
            "Een zip met alle gegevens van de betrokkene uit de systemen van de klant.",
            "A zip with all the subject's data from the tenant's systems.",
        ),
        "bundle_compile" => ("Bundel samenstellen", "Compile the bundle"),
        "bundle_retry" => ("Opnieuw proberen", "Try again"),
        "bundle_none" => ("Nog geen bundel.", "No bundle yet."),
        "bundle_queued" => ("In de wachtrij", "Queued"),
        "bundle_running" => ("Wordt samengesteld", "Being compiled"),
        "bundle_ready" => ("Klaar", "Ready"),
        "bundle_failed" => ("Mislukt", "Failed"),
        "bundle_expired" => ("Verlopen (verwijderd)", "Expired (deleted)"),
        "bundle_download" => ("Bundel downloaden", "Download the bundle"),
        "bundle_tables" => ("tabellen", "tables"),
        "bundle_rows" => ("rijen", "rows"),
        "bundle_refresh" => ("Stand verversen", "Refresh progress"),
        "bundle_link_until" => ("Link geldig tot", "Link valid until"),
        "bundle_kept_until" => ("Bewaard tot", "Kept until"),
        "bundle_grant" => (
            "Support ziet de gegevens van een klant alleen met toestemming (een lopende toegang) van de verwerkingsverantwoordelijke.",
            "Support reaches a tenant's data only with the controller's permission (a running access grant).",
        ),
        "bundle_no_tenant" => (
            "Wijs het verzoek eerst aan een klant toe.",
            "Assign the request to a tenant first.",
        ),
        "done" => ("Gedaan", "Done"),
        "done_action" => ("Opgeslagen.", "Saved."),
        "done_bundle" => (
            "De bundel wordt samengesteld.",
            "The bundle is being compiled.",
        ),
        "action_failed" => ("Dit kon niet", "This could not be done"),
        "field_required" => ("Vul dit in", "Fill this in"),
        "new_intro" => (
            "Voer een verzoek in dat per brief, telefoon of e-mail binnenkwam. De termijn loopt vanaf de dag van ontvangst.",
            "Enter a request that came by letter, phone or e-mail. The deadline runs from the day it arrived.",
        ),
        "arrived_on" => ("Dag van ontvangst", "Day it arrived"),
        "arrived_hint" => (
            "Bijvoorbeeld 2026-03-05 (jaar-maand-dag)",
            "For example 2026-03-05 (year-month-day)",
        ),
        "subject_name" => ("Naam van de betrokkene", "Subject's name"),
        "subject_email" => ("E-mailadres van de betrokkene", "Subject's e-mail address"),
        "subject_phone" => ("Telefoon (optioneel)", "Phone (optional)"),
        "details_optional" => ("Toelichting (optioneel)", "Details (optional)"),
        "tenant_unknown" => ("Onbekend (later toewijzen)", "Unknown (assign later)"),
        "check_deadline" => ("Controleer de termijn", "Check the deadline"),
        "preview_title" => ("Controleer en sla op", "Check and save"),
        "preview_intro" => (
            "Zo wordt het verzoek opgeslagen. De betrokkene krijgt een bevestiging per e-mail.",
            "This is how the request will be saved. The subject gets a confirmation by e-mail.",
        ),
        "save" => ("Opslaan", "Save"),
        "change" => ("Wijzigen", "Change"),
        "saved_request" => ("Verzoek opgeslagen", "Request saved"),
        "error_title" => ("Er ging iets mis", "Something went wrong"),
        "not_found" => (
            "Deze pagina of dit verzoek bestaat niet, of u mag het niet zien.",
            "This page or request does not exist, or you may not see it.",
        ),
        "forbidden" => ("Dit mag u niet doen.", "You may not do this."),
        "csrf_failed" => (
            "Het formulier was verlopen of kwam niet van deze pagina. Open de pagina opnieuw en probeer het nog eens.",
            "The form had expired or did not come from this page. Open the page again and try once more.",
        ),
        "rate_limited" => (
            "Te veel pogingen. Wacht even en probeer het opnieuw.",
            "Too many attempts. Wait a moment and try again.",
        ),
        "unavailable" => (
            "Er ging aan onze kant iets mis. Probeer het later opnieuw.",
            "Something went wrong on our side. Try again later.",
        ),
        "to_queue" => ("Naar de wachtrij", "To the queue"),
        "yes" => ("ja", "yes"),
        "f_tenant" => ("Klant", "Tenant"),
        "f_note" => ("Notitie", "Note"),
        "f_months" => ("Maanden", "Months"),
        "f_reason" => ("Reden", "Reason"),
        "f_ground" => ("Grond", "Ground"),
        "f_outcome" => ("Uitkomst", "Outcome"),
        "f_method" => ("Manier", "Method"),
        "f_received_on" => ("Dag van ontvangst", "Day it arrived"),
        "f_channel" => ("Kanaal", "Channel"),
        "f_kind" => ("Soort verzoek", "Kind of request"),
        "f_name" => ("Naam", "Name"),
        "f_email" => ("E-mailadres", "E-mail address"),
        "f_phone" => ("Telefoon", "Phone"),
        "f_details" => ("Toelichting", "Details"),
        "no" => ("nee", "no"),
        // Navigation
        "overview" => ("Overzicht", "Overview"),
        "grants" => ("Toegang voor support", "Support access"),
        "my_grants" => ("Mijn toegang", "My access"),
        "audit" => ("Audittrail", "Audit trail"),
        "admin" => ("Beheer", "Administration"),
        // Overview
        "overview_intro" => (
            "Cijfers over de verzoeken die in de gekozen periode binnenkwamen, en de verzoeken die nu openstaan. Alleen aantallen: geen namen of adressen.",
            "Figures on the requests received in the chosen period, and the requests open now. Counts only: no names or addresses.",
        ),
        "period" => ("Periode", "Period"),
        "from" => ("Van", "From"),
        "to" => ("Tot en met", "Up to and including"),
        "until" => ("tot en met", "up to and including"),
        "date_hint" => (
            "Jaar-maand-dag, bijvoorbeeld 2026-03-05",
            "Year-month-day, for example 2026-03-05",
        ),
        "all_tenants" => ("Alle klanten", "All tenants"),
        "show" => ("Toon", "Show"),
        "last_4_weeks" => ("Laatste 4 weken", "Last 4 weeks"),
        "last_12_weeks" => ("Laatste 12 weken", "Last 12 weeks"),
        "last_52_weeks" => ("Laatste 52 weken", "Last 52 weeks"),
        "key_figures" => ("Kerncijfers", "Key figures"),
        "received_in_period" => ("Ontvangen in de periode", "Received in the period"),
        "answered_cap" => (
            "Beantwoord (afgehandeld of afgewezen)",
            "Answered (completed or refused)",
        ),
        "on_time_legal" => ("Op tijd (wettelijke termijn)", "On time (legal deadline)"),
        "on_time_promised" => ("Op tijd (beloofde termijn)", "On time (promised deadline)"),
        "median_days" => ("Mediaan dagen tot antwoord", "Median days to answer"),
        "open_now" => ("Nu open", "Open now"),
        "wk" => ("wk", "wk"),
        "week" => ("Week", "Week"),
        "total_cap" => ("Totaal", "Total"),
        "chart_weekly" => (
            "Ontvangen verzoeken per week, per soort",
            "Requests received per week, by kind",
        ),
        "chart_weekly_desc" => (
            "Gestapelde staven: het aantal verzoeken per week van ontvangst, per soort, van",
            "Stacked bars: the number of requests per week of receipt, by kind, from",
        ),
        "numbers_beside" => (
            "De aantallen staan in de tabel ernaast.",
            "The numbers are in the table beside it.",
        ),
        "chart_timely" => ("Op tijd of te laat beantwoord", "Answered on time or late"),
        "chart_timely_desc" => (
            "Staven: beantwoorde verzoeken op tijd en te laat, gemeten tegen de wettelijke (of verlengde) termijn en tegen de beloofde termijn. Beantwoord:",
            "Bars: answered requests on time and late, against the legal (or extended) deadline and against the promised one. Answered:",
        ),
        "answered_lc" => ("verzoeken", "requests"),
        "on_time" => ("op tijd", "on time"),
        "late" => ("te laat", "late"),
        "against_legal" => (
            "Wettelijke termijn (art. 12 lid 3 AVG)",
            "Legal deadline (Art. 12(3) GDPR)",
        ),
        "against_promised" => (
            "Beloofde termijn (vier weken)",
            "Promised deadline (four weeks)",
        ),
        "measured_against" => ("Gemeten tegen", "Measured against"),
        "share_on_time" => ("Deel op tijd", "Share on time"),
        "chart_due" => (
            "Open verzoeken per week waarin ze af moeten zijn",
            "Open requests by the week they are due",
        ),
        "chart_due_desc" => (
            "Staven: de verzoeken die nu openstaan per week van hun uiterste datum; eerdere weken zijn te laat. Open:",
            "Bars: the requests open now by the week of their due date; earlier weeks are overdue. Open:",
        ),
        "open_lc" => ("verzoeken", "requests"),
        "due_earlier" => ("eerder (te laat)", "earlier (overdue)"),
        "due_later" => ("later", "later"),
        "this_week" => ("deze week", "this week"),
        "later_weeks" => ("volgende weken", "next weeks"),
        "due_week" => ("Uiterlijk in", "Due in"),
        "open_cap" => ("Open", "Open"),
        "chart_refusals" => ("Afwijzingen per grond", "Refusals by ground"),
        "chart_refusals_desc" => (
            "Staven: afgewezen verzoeken uit de periode per grond. Afgewezen:",
            "Bars: refused requests of the period by ground. Refused:",
        ),
        "refused_lc" => ("verzoeken", "requests"),
        "refusals_cap" => ("Afwijzingen", "Refusals"),
        "no_refusals" => (
            "Geen afwijzingen in deze periode.",
            "No refusals in this period.",
        ),
        "legend" => ("Legenda", "Legend"),
        "f_from" => ("Van", "From"),
        "f_to" => ("Tot en met", "Up to and including"),
        // Grants
        "grants_intro" => (
            "Support ziet de gegevens van uw organisatie (bundels, kopieën van identiteitsbewijzen) alleen met uw toestemming: 1 tot 24 uur, met een reden, en elke toegang staat in de audittrail. U kunt een toegang altijd direct intrekken.",
            "Support reaches your organisation's data (bundles, copies of ID documents) only with your permission: 1 to 24 hours, with a reason, and every access is in the audit trail. You can revoke access at once at any time.",
        ),
        "grants_support_intro" => (
            "De toegang die verwerkingsverantwoordelijken u gaven. Zonder lopende toegang ziet u van een klant alleen de wachtrij en de gegevens die nodig zijn om door te sturen.",
            "The access controllers gave you. Without running access you see only a tenant's queue and what forwarding needs.",
        ),
        "give_grant" => ("Toegang geven", "Give access"),
        "grantee" => ("Supportmedewerker", "Support user"),
        "hours" => ("Hoe lang", "For how long"),
        "hours_hint" => (
            "1 tot 24 uur; de toegang stopt daarna vanzelf.",
            "1 to 24 hours; the access ends on its own.",
        ),
        "hour" => ("uur", "hour"),
        "hours_unit" => ("uur", "hours"),
        "grant_reason" => ("Reden", "Reason"),
        "grant_reason_hint" => (
            "Waarom heeft support toegang nodig? Staat in de e-mail en in de audittrail.",
            "Why does support need access? Shown in the e-mail and in the audit trail.",
        ),
        "no_support_users" => (
            "Er zijn geen actieve supportmedewerkers.",
            "There are no active support users.",
        ),
        "running_grants" => ("Lopende toegang", "Running access"),
        "past_grants" => (
            "Beëindigde toegang (laatste 90 dagen)",
            "Ended access (last 90 days)",
        ),
        "no_grants" => ("Geen.", "None."),
        "given_by" => ("Gegeven door", "Given by"),
        "given_at" => ("Gegeven op", "Given at"),
        "ends_at" => ("Loopt tot", "Runs until"),
        "ended_at" => ("Geëindigd", "Ended"),
        "first_used" => ("Eerst gebruikt", "First used"),
        "not_used" => ("niet gebruikt", "not used"),
        "revoke" => ("Intrekken", "Revoke"),
        "revoked" => ("ingetrokken", "revoked"),
        "expired" => ("verlopen", "expired"),
        "done_granted" => (
            "De toegang is gegeven. De supportmedewerker en uw contactadres krijgen een e-mail.",
            "Access given. The support user and your contact address get an e-mail.",
        ),
        "done_revoked" => (
            "De toegang is ingetrokken; dat geldt direct.",
            "Access revoked; this takes effect at once.",
        ),
        "f_grantee" => ("Supportmedewerker", "Support user"),
        "f_hours" => ("Hoe lang", "For how long"),
        // Audit trail
        "audit_intro" => (
            "Wie de gegevens van deze klant las of wijzigde: elke lezing van persoonsgegevens door medewerkers en elke wijziging, in een keten die niet ongemerkt te veranderen is.",
            "Who read or changed this tenant's data: every read of personal data by staff and every change, in a chain that cannot be changed unnoticed.",
        ),
        "actor" => ("Medewerker (e-mailadres)", "Staff member (e-mail address)"),
        "actor_hint" => (
            "Optioneel: alleen wat deze persoon deed.",
            "Optional: only what this person did.",
        ),
        "f_actor" => ("Medewerker", "Staff member"),
        "download_csv" => ("Download als CSV", "Download as CSV"),
        "seq" => ("Nr.", "No."),
        "when" => ("Wanneer", "When"),
        "action" => ("Handeling", "Action"),
        "role" => ("Rol", "Role"),
        "grant" => ("Toegang", "Grant"),
        "ip" => ("IP-adres", "IP address"),
        "entries" => ("regels", "entries"),
        "audit_empty" => ("Geen regels gevonden.", "No entries found."),
        // Admin
        "admin_intro" => (
            "Klanten, medewerkers, datamaps en de achtergrondtaken.",
            "Tenants, staff, data maps and background jobs.",
        ),
        "tenants" => ("Klanten", "Tenants"),
        "users" => ("Medewerkers", "Staff users"),
        "datamaps" => ("Datamaps", "Data maps"),
        "jobs" => ("Achtergrondtaken", "Background jobs"),
        "add_tenant" => ("Klant toevoegen", "Add a tenant"),
        "slug" => ("Korte naam (slug)", "Short name (slug)"),
        "slug_hint" => (
            "Kleine letters, cijfers en -, bijvoorbeeld acme. Staat in adressen.",
            "Lower-case letters, digits and -, for example acme. Used in addresses.",
        ),
        "tenant_name" => ("Naam", "Name"),
        "contact_email" => ("Contactadres privacy", "Privacy contact address"),
        "tenant_language" => ("Taal van de e-mails", "Language of the e-mails"),
        "datamap_path" => ("Datamap (optioneel)", "Data map (optional)"),
        "datamap_hint" => (
            "Pad van het bestand, bijvoorbeeld exports/acme.toml",
            "Path of the file, for example exports/acme.toml",
        ),
        "created" => ("Aangemaakt", "Created"),
        "add_user" => ("Medewerker toevoegen", "Add a staff user"),
        "user_role" => ("Rol", "Role"),
        "user_tenant" => (
            "Klant (alleen voor een verwerkingsverantwoordelijke)",
            "Tenant (only for a controller)",
        ),
        "none" => ("Geen", "None"),
        "initial_password" => ("Wachtwoord (optioneel)", "Password (optional)"),
        "password_hint" => (
            "Minstens 12 tekens. Leeg laten: er wordt een wachtwoord gemaakt dat u één keer ziet.",
            "At least 12 characters. Leave empty: one is made for you and shown once.",
        ),
        "state" => ("Staat", "State"),
        "active" => ("actief", "active"),
        "disabled" => ("uitgeschakeld", "disabled"),
        "disable" => ("Uitschakelen", "Disable"),
        "enable" => ("Inschakelen", "Enable"),
        "reset_password" => ("Nieuw wachtwoord", "Reset password"),
        "new_password" => ("Nieuw wachtwoord (optioneel)", "New password (optional)"),
        "you" => ("u zelf", "you"),
        "password_once" => (
            "Geef dit wachtwoord door aan de medewerker. Het wordt nergens bewaard en niet nog eens getoond; lopende sessies van de medewerker zijn beëindigd.",
            "Hand this password to the staff member. It is not kept anywhere and not shown again; the user's sessions have ended.",
        ),
        "password_once_new" => (
            "Geef dit wachtwoord door aan de nieuwe medewerker. Het wordt nergens bewaard en niet nog eens getoond.",
            "Hand this password to the new staff member. It is not kept anywhere and not shown again.",
        ),
        "password_for" => ("Wachtwoord voor", "Password for"),
        "password_set" => (
            "Het wachtwoord is gezet; lopende sessies van de medewerker zijn beëindigd.",
            "The password is set; the user's sessions have ended.",
        ),
        "done_tenant" => ("De klant is toegevoegd.", "The tenant was added."),
        "done_user" => ("De medewerker is toegevoegd.", "The staff user was added."),
        "done_disabled" => (
            "De medewerker is uitgeschakeld; de sessies zijn beëindigd.",
            "The user is disabled; their sessions have ended.",
        ),
        "done_enabled" => (
            "De medewerker is weer ingeschakeld.",
            "The user is enabled again.",
        ),
        "done_retried" => (
            "De taak staat weer in de wachtrij.",
            "The job is back in the queue.",
        ),
        "datamap_ok" => ("in orde", "fine"),
        "datamap_none" => ("geen datamap", "no data map"),
        "systems" => ("systemen", "systems"),
        "system" => ("systeem", "system"),
        "table" => ("tabel", "table"),
        "tables" => ("tabellen", "tables"),
        "problems" => ("Problemen", "Problems"),
        "datamap_intro" => (
            "De controle van elk bestand zoals inzage datamap check die doet (zonder verbinding met de databases).",
            "Each file checked as inzage datamap check does (without connecting to the databases).",
        ),
        "jobs_intro" => (
            "Taken die wachten, lopen of zijn opgegeven (dead). Een opgegeven taak kan opnieuw in de wachtrij.",
            "Jobs that wait, run or gave up (dead). A dead job can go back in the queue.",
        ),
        "job_kind" => ("Soort", "Kind"),
        "attempts" => ("Pogingen", "Attempts"),
        "last_error" => ("Laatste fout", "Last error"),
        "updated" => ("Bijgewerkt", "Updated"),
        "retry" => ("Opnieuw proberen", "Retry"),
        "no_jobs" => (
            "Geen taken die wachten, lopen of zijn opgegeven.",
            "No waiting, running or dead jobs.",
        ),
        "job_queued" => ("wacht", "waiting"),
        "job_running" => ("loopt", "running"),
        "job_dead" => ("opgegeven", "dead"),
        "f_slug" => ("Korte naam", "Short name"),
        "f_contact_email" => ("Contactadres", "Contact address"),
        "f_role" => ("Rol", "Role"),
        "f_password" => ("Wachtwoord", "Password"),
        "f_user" => ("Medewerker", "User"),
        "f_job" => ("Taak", "Job"),
        "f_datamap" => ("Datamap", "Data map"),
        "f_language" => ("Taal", "Language"),
        _ => return None,
    })
}

/// A field's name in the error summary.
pub fn field_label(field: &str, language: Language) -> String {
    let key = format!("f_{field}");
    match pair(&key) {
        Some((nl, en)) => pick(language, nl, en).to_owned(),
        None => field.to_owned(),
    }
}

/// A field error in the reader's language where we have the words (the API's messages are
/// English; the common ones are said here in Dutch too).
pub fn field_message(message: &str, language: Language) -> String {
    if language == Language::En {
        return message.to_owned();
    }
    match message {
        "is required" | "must not be empty" => "Vul dit in".to_owned(),
        m if m.starts_with("must be one of") => "Maak een keuze uit de lijst".to_owned(),
        "must be 1 or 2" => "Kies 1 of 2 maanden".to_owned(),
        "is not a known tenant" => "Kies een klant uit de lijst".to_owned(),
        "must be an active support user" => "Kies een actieve supportmedewerker".to_owned(),
        "must be 1 to 24" => "Kies 1 tot 24 uur".to_owned(),
        "must not be before the start" => "Mag niet voor het begin liggen".to_owned(),
        "at most 366 days after the start" => "Hoogstens 366 dagen na het begin".to_owned(),
        "a controller needs a tenant" => {
            "Kies de klant van deze verwerkingsverantwoordelijke".to_owned()
        }
        "only a controller belongs to a tenant" => {
            "Alleen een verwerkingsverantwoordelijke hoort bij een klant".to_owned()
        }
        "you cannot disable yourself" => "U kunt uzelf niet uitschakelen".to_owned(),
        m if m.starts_with("must be at most") && m.ends_with("characters") => {
            format!("Te lang ({m})")
        }
        m if m.contains("at least 12") || m.contains("too short") => {
            "Minstens 12 tekens".to_owned()
        }
        m if m.contains("already exists") => "Bestaat al".to_owned(),
        "must not be in the future" => "Mag niet in de toekomst liggen".to_owned(),
        "must be a date as YYYY-MM-DD" => "Vul een datum in als JJJJ-MM-DD".to_owned(),
        "choose letter, phone or e-mail" => "Kies brief, telefoon of e-mail".to_owned(),
        m if m.contains("e-mail") || m.contains("email") => {
            format!("Vul een geldig e-mailadres in ({m})")
        }
        m => m.to_owned(),
    }
}

/// Field errors for a page: each message in the reader's language, and for the summary
/// the field's name with it.
pub fn localise_errors(
    errors: crate::error::FieldErrors,
    language: Language,
) -> crate::error::FieldErrors {
    errors
        .into_iter()
        .map(|(k, v)| {
            let m = field_message(&v, language);
            (k, m)
        })
        .collect()
}

/// A status in staff words.
pub fn status_label(status: Status, language: Language) -> &'static str {
    let (nl, en) = match status {
        Status::AwaitingVerification => ("wacht op bevestiging", "awaiting confirmation"),
        Status::Received => ("ontvangen", "received"),
        Status::Forwarded => ("doorgestuurd", "forwarded"),
        Status::Acknowledged => ("ontvangst bevestigd", "receipt confirmed"),
        Status::InProgress => ("in behandeling", "in progress"),
        Status::Completed => ("afgehandeld", "completed"),
        Status::Refused => ("afgewezen", "refused"),
        Status::Withdrawn => ("ingetrokken", "withdrawn"),
    };
    pick(language, nl, en)
}

pub fn channel_label(channel: Channel, language: Language) -> &'static str {
    let (nl, en) = match channel {
        Channel::Web => ("webformulier", "web form"),
        Channel::Email => ("e-mail", "e-mail"),
        Channel::Letter => ("brief", "letter"),
        Channel::Phone => ("telefoon", "phone"),
        Channel::Api => ("API", "API"),
    };
    pick(language, nl, en)
}

pub fn role_label(role: Role, language: Language) -> &'static str {
    let t = T(language);
    match role {
        Role::Admin => t.t("role_admin"),
        Role::Support => t.t("role_support"),
        Role::Controller => t.t("role_controller"),
    }
}

fn pick(language: Language, nl: &'static str, en: &'static str) -> &'static str {
    match language {
        Language::Nl => nl,
        Language::En => en,
    }
}

/// A refusal ground in staff words (the overview's table; the subject's wording is in
/// `mail::labels`).
pub fn ground_short(ground: &str, language: Language) -> String {
    let (nl, en) = match ground {
        "manifestly_unfounded" => (
            "kennelijk ongegrond (art. 12 lid 5)",
            "manifestly unfounded (Art. 12(5))",
        ),
        "excessive" => ("buitensporig (art. 12 lid 5)", "excessive (Art. 12(5))"),
        "identity_not_established" => (
            "identiteit niet vastgesteld (art. 11 lid 2, 12 lid 6)",
            "identity not established (Art. 11(2), 12(6))",
        ),
        "no_data" => ("geen gegevens", "no data"),
        "erasure_exception_expression" => (
            "verwijdering: meningsuiting (art. 17 lid 3 sub a)",
            "erasure: expression (Art. 17(3)(a))",
        ),
        "erasure_exception_legal_obligation" => (
            "verwijdering: wettelijke plicht (art. 17 lid 3 sub b)",
            "erasure: legal obligation (Art. 17(3)(b))",
        ),
        "erasure_exception_public_health" => (
            "verwijdering: volksgezondheid (art. 17 lid 3 sub c)",
            "erasure: public health (Art. 17(3)(c))",
        ),
        "erasure_exception_archiving" => (
            "verwijdering: archief, onderzoek (art. 17 lid 3 sub d)",
            "erasure: archiving, research (Art. 17(3)(d))",
        ),
        "erasure_exception_legal_claims" => (
            "verwijdering: rechtsvordering (art. 17 lid 3 sub e)",
            "erasure: legal claims (Art. 17(3)(e))",
        ),
        "rights_of_others" => (
            "rechten van anderen (art. 15 lid 4)",
            "rights of others (Art. 15(4))",
        ),
        "statutory_restriction" => (
            "wettelijke beperking (art. 41 UAVG)",
            "statutory restriction (UAVG art. 41)",
        ),
        "conditions_not_met" => ("voorwaarden niet vervuld", "conditions not met"),
        "compelling_legitimate_grounds" => (
            "dwingende gerechtvaardigde gronden (art. 21 lid 1)",
            "compelling legitimate grounds (Art. 21(1))",
        ),
        "automated_decision_exception" => (
            "geautomatiseerd besluit toegestaan (art. 22 lid 2)",
            "automated decision allowed (Art. 22(2))",
        ),
        "other" => ("andere grond", "other ground"),
        other => return other.to_owned(),
    };
    pick(language, nl, en).to_owned()
}

/// An audit entry's action in plain words, starting with a capital (unknown ones as stored).
pub fn audit_action(action: &str, language: Language) -> String {
    let words = audit_words(action, language);
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

fn audit_words(action: &str, language: Language) -> String {
    let (nl, en) = match action {
        "request_viewed" => ("verzoek bekeken", "request viewed"),
        "request_filed" | "request_entered" => ("verzoek ingevoerd", "request entered"),
        "bundle_download" | "bundle_downloaded" => ("bundel gedownload", "bundle downloaded"),
        "bundle_requested" => ("bundel aangevraagd", "bundle requested"),
        "grant_given" => ("toegang gegeven", "access given"),
        "grant_revoked" => ("toegang ingetrokken", "access revoked"),
        "id_document_viewed" => ("kopie identiteitsbewijs bekeken", "ID copy viewed"),
        "tenant_created" => ("klant aangemaakt", "tenant created"),
        "user_created" => ("medewerker aangemaakt", "staff user created"),
        "user_disabled" => ("medewerker uitgeschakeld", "staff user disabled"),
        "user_enabled" => ("medewerker ingeschakeld", "staff user enabled"),
        "password_reset" => ("wachtwoord gezet", "password reset"),
        "job_retried" => ("taak opnieuw gestart", "job retried"),
        "identities_viewed" => ("kenmerken bekeken", "identifiers viewed"),
        "identity_added" => ("kenmerk toegevoegd", "identifier added"),
        "identity_removed" => ("kenmerk verwijderd", "identifier removed"),
        "request_closed" => ("verzoek gesloten", "request closed"),
        "request_personal_data_erased" => (
            "persoonsgegevens van het verzoek gewist (bewaartermijn)",
            "the request's personal data erased (retention)",
        ),
        a if a.starts_with("request_") => {
            let action = a.trim_start_matches("request_");
            return match pair(&format!("act_{action}")) {
                Some((nl, en)) => pick(language, nl, en).to_owned(),
                None => action.to_owned(),
            };
        }
        other => return other.to_owned(),
    };
    pick(language, nl, en).to_owned()
}

/// A history line's event in plain words (staff see every event, the subject's and internal).
pub fn event_label(kind: &str, language: Language) -> String {
    let (nl, en) = match kind {
        "bundle_requested" => ("Bundel aangevraagd", "Bundle requested"),
        "bundle_ready" => ("Bundel klaar", "Bundle ready"),
        "bundle_failed" => ("Bundel mislukt", "Bundle failed"),
        "bundle_downloaded" => ("Bundel gedownload", "Bundle downloaded"),
        "assigned" => ("Toegewezen aan een klant", "Assigned to a tenant"),
        "reminder" | "reminder_sent" => ("Herinnering verstuurd", "Reminder sent"),
        "mail_sent" => ("E-mail verstuurd", "E-mail sent"),
        "identity_added" => ("Kenmerk toegevoegd", "Identifier added"),
        "identity_removed" => ("Kenmerk verwijderd", "Identifier removed"),
        "overdue" => ("Termijn verstreken", "Deadline passed"),
        "answered" => (
            "Antwoord van de betrokkene op de vraag",
            "The subject's answer to the question",
        ),
        "download_code_sent" => (
            "Downloadcode gemaild aan de betrokkene",
            "Download code e-mailed to the subject",
        ),
        "bundle_exported" => (
            "Bundel geëxporteerd (opdrachtregel)",
            "Bundle exported (command line)",
        ),
        "deadline_recomputed" => ("Termijnen herberekend", "Deadlines recomputed"),
        "id_document_viewed" => (
            "Kopie identiteitsbewijs bekeken",
            "Copy of ID document viewed",
        ),
        other => return crate::http::pages::event_label(other, language),
    };
    pick(language, nl, en).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_has_both_languages() {
        for key in [
            "queue",
            "sign_in",
            "act_refuse",
            "bundle_ready",
            "csrf_failed",
        ] {
            let (nl, en) = pair(key).unwrap();
            assert!(!nl.is_empty() && !en.is_empty());
        }
        assert_eq!(T(Language::En).t("queue"), "Queue");
        // Every event kind reads as words, in both languages.
        for kind in crate::domain::EventKind::ALL {
            for language in [Language::Nl, Language::En] {
                assert_ne!(
                    event_label(kind.as_str(), language),
                    kind.as_str(),
                    "{kind}"
                );
            }
        }
        assert_eq!(T(Language::Nl).t("no-such-key"), "no-such-key");
    }
}
