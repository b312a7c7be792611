"""Every word of the web pages, in French and English (French by default)."""

from __future__ import annotations

from cdap_policy.support.i18n import tr

T = {
    "app": tr("cdap-policy — conformité CDAP", "cdap-policy — CDAP compliance"),
    "home": tr("Accueil", "Home"),
    "skip": tr("Aller au contenu", "Skip to content"),
    "switch": tr("English", "Français"),
    "switch_lang": tr("en", "fr"),
    "intro": tr(
        "Vérifiez une configuration « Mon Compte Partenaire » (CDAP) contre la convention, le"
        " contrat de service et le bulletin d'adhésion. Rien de ce que vous saisissez ou déposez"
        " n'est conservé par le serveur.",
        "Check a « Mon Compte Partenaire » (CDAP) configuration against the convention, the service"
        " contract and the membership bulletin. Nothing you type or upload is kept by the server.",
    ),
    "partner_path": tr("Je prépare la signature (partenaire)", "I am preparing to sign (partner)"),
    "partner_path_what": tr(
        "Un formulaire guidé, la liste du personnel depuis votre tableur, puis la liste de ce qu'il"
        " faut préparer avant de signer. Aucune ligne de YAML à écrire.",
        "A guided form, the staff list from your spreadsheet, then the list of what to prepare"
        " before signing. No YAML to write.",
    ),
    "auditor_path": tr("Je contrôle un partenaire (Caf)", "I audit a partner (Caf)"),
    "auditor_path_what": tr(
        "Déposez un instantané ou une archive zip d'un dossier pour obtenir le rapport, ou deux"
        " rapports pour les comparer.",
        "Upload a snapshot or a zip of a folder for the report, or two reports to compare them.",
    ),
    "start": tr("Commencer", "Start"),
    "steps": tr("Étapes", "Steps"),
    "next": tr("Continuer", "Continue"),
    "back": tr("Retour", "Back"),
    "required": tr("obligatoire", "required"),
    "errors_title": tr("Le formulaire contient des erreurs", "The form has errors"),
    "live": tr("Avant la signature, en direct", "Before signing, live"),
    "live_intro": tr(
        "Ce qui reste à préparer d'après vos réponses à ce stade :",
        "What is left to prepare from your answers so far:",
    ),
    "live_none": tr(
        "Rien à préparer : la liste est vide.", "Nothing to prepare: the checklist is clean."
    ),
    "live_wait": tr(
        "La liste apparaît dès que l'organisme est décrit.",
        "The checklist appears once the organisation is described.",
    ),
    "see_checklist": tr("Voir la liste complète", "See the full checklist"),
    "points": tr("point(s)", "point(s)"),
    # organisation
    "kind": tr("Type d'organisme", "Organisation kind"),
    "choose": tr("— choisir —", "— choose —"),
    "name": tr("Nom de l'organisme", "Name of the organisation"),
    "siret": tr("SIRET (14 chiffres)", "SIRET (14 digits)"),
    "department": tr("Département (44, 2A, 974…)", "Department (44, 2A, 974…)"),
    "framework": tr("Cadre contractuel", "Contractual framework"),
    "edition": tr("Édition du bulletin d'adhésion", "Edition of the membership bulletin"),
    "deliberation": tr(
        "Délibération autorisant la signature (collectivité, CCAS, CIAS)",
        "Deliberation authorising the signature (local authority, CCAS, CIAS)",
    ),
    "deliberation_intro": tr(
        "L'organe délibérant approuve la convention et ses annexes et autorise son représentant à"
        " les signer, avant la signature. Laisser vide tant qu'elle n'est pas inscrite.",
        "The deliberative body approves the convention and its annexes and authorises its"
        " representative to sign them, before the signature. Leave empty until it is scheduled.",
    ),
    "deliberation_body": tr("Organe délibérant", "Deliberative body"),
    "deliberation_body_hint": tr(
        "par exemple : conseil d'administration du CCAS, conseil municipal",
        "e.g. the CCAS board, the municipal council",
    ),
    "deliberation_reference": tr(
        "Numéro ou référence de la délibération", "Number or reference of the deliberation"
    ),
    "deliberation_adopted_on": tr("Date d'adoption", "Date adopted"),
    # profiles
    "profiles_intro": tr(
        "Nombre d'utilisateurs demandés pour chaque profil (laisser vide : profil non demandé).",
        "Number of users requested for each profile (leave empty: profile not requested).",
    ),
    "open": tr("ouvert à votre organisme", "open to your organisation"),
    "conditional": tr("sous condition", "on a condition"),
    "closed": tr("non ouvert à votre type d'organisme", "not open to your kind of organisation"),
    "missions": tr(
        "Missions déclarées (convention, art. 8)", "Missions declared (convention, art. 8)"
    ),
    "missions_hint": tr(
        "Laissées vides, les missions des profils demandés sont retenues.",
        "Left empty, the missions of the profiles requested are used.",
    ),
    "mode": tr("Mode de gestion des habilitations", "Habilitation management mode"),
    # people
    "people_intro": tr(
        "Les personnes de l'annexe 1 du contrat de service, chacune avec une adresse individuelle"
        " et un téléphone.",
        "The people of annex 1 of the service contract, each with an individual address and a phone"
        " number.",
    ),
    "first_name": tr("Prénom", "First name"),
    "last_name": tr("Nom", "Last name"),
    "function": tr("Fonction", "Job title"),
    "email": tr("Courriel individuel", "Individual e-mail"),
    "phone": tr("Téléphone", "Phone"),
    # workstations
    "information": tr(
        "Information des allocataires (convention, art. 11)",
        "Information of beneficiaries (convention, art. 11)",
    ),
    "information_method": tr(
        "Comment sont-ils informés du traitement ?", "How are they informed of the processing?"
    ),
    "information_method_hint": tr(
        "par exemple : mention sur les formulaires de demande, affichage à l'accueil",
        "e.g. notice on the application forms, poster at the front desk",
    ),
    "information_since": tr("En place depuis le (facultatif)", "In place since (optional)"),
    "non_opposition": tr(
        "La non-opposition de l'allocataire est recueillie avant toute consultation T1 ou T2",
        "The beneficiary's non-opposition is recorded before any T1 or T2 consultation",
    ),
    "workstations": tr(
        "Navigateurs des postes (contrat de service, art. 2.1)",
        "Workstation browsers (service contract, art. 2.1)",
    ),
    "browser": tr("Navigateur", "Browser"),
    "version": tr("Version", "Version"),
    "count": tr("Nombre de postes", "Number of workstations"),
    # providers (CONV art. 14)
    "providers_intro": tr(
        "Les prestataires (hébergeur, éditeur, infogérance…) qui interviennent pour l'exécution de"
        " la convention : la Caf doit en être informée par lettre au moins 6 mois avant leur"
        " intervention (convention, art. 14). Laissez les champs vides s'il n'y en a pas.",
        "The service providers (host, software publisher, managed services…) working for the"
        " convention: the Caf must be told by letter at least 6 months before they start"
        " (convention, art. 14). Leave the fields empty when there are none.",
    ),
    "providers_depth": tr(
        "Les sous-traitants de vos prestataires ne se saisissent pas ici : ajoutez-les dans le"
        " fichier téléchargé (rubrique « subcontractors » du prestataire).",
        "Your providers' own subcontractors are not entered here: add them in the downloaded"
        " file (the provider's « subcontractors » list).",
    ),
    "provider": tr("Prestataire", "Provider"),
    "provider_name": tr("Nom du prestataire", "Provider's name"),
    "provider_tasks": tr("Tâches confiées (une par ligne)", "Tasks entrusted (one a line)"),
    "provider_country": tr(
        "Pays du prestataire (code ISO à 2 lettres, ex. FR)",
        "Provider's country (2-letter ISO code, e.g. FR)",
    ),
    "provider_db": tr(
        "Pays de ses bases de données (codes séparés par des virgules, ex. FR, DE)",
        "Countries of its databases (codes separated by commas, e.g. FR, DE)",
    ),
    "provider_no_db": tr(
        "Le prestataire n'héberge aucune base de données",
        "The provider hosts no database",
    ),
    "provider_starts_on": tr(
        "Début de son intervention pour la convention",
        "Start of its work for the convention",
    ),
    "provider_notice_on": tr(
        "Lettre d'information reçue par la Caf le", "Notice letter received by the Caf on"
    ),
    "provider_notice_on_hint": tr(
        "laissez vide si la lettre n'est pas encore envoyée", "leave empty if not sent yet"
    ),
    "provider_lists": tr("La lettre indique :", "The letter states:"),
    "provider_clauses": tr(
        "Engagements prévus au contrat du prestataire :",
        "Commitments in the provider's contract:",
    ),
    "provider_dpf": tr(
        "Le prestataire est certifié au cadre de protection des données UE–États-Unis (DPF)",
        "The provider is certified under the EU–US Data Privacy Framework (DPF)",
    ),
    "provider_commercial": tr(
        "Le prestataire est un organisme commercial (décision d'adéquation limitée à ces"
        " organismes)",
        "The provider is a commercial organisation (adequacy decision limited to them)",
    ),
    "safeguard": tr(
        "Garantie du transfert hors de l'Union européenne (RGPD art. 46 ; convention, art. 14)",
        "Safeguard of the transfer outside the European Union (GDPR art. 46; convention, art. 14)",
    ),
    "safeguard_kind": tr("Garantie", "Safeguard"),
    "safeguard_none": tr("aucune", "none"),
    "safeguard_reference": tr(
        "Référence (n° de délibération, version des clauses…)",
        "Reference (deliberation number, version of the clauses…)",
    ),
    "safeguard_dated": tr("Accordée ou signée le", "Granted or signed on"),
    "safeguard_sent": tr(
        "Communiquée à la Caf le (autorisation de la CNIL)",
        "Sent to the Caf on (the CNIL's authorisation)",
    ),
    "add_provider": tr("Ajouter un prestataire", "Add a provider"),
    # staff
    "staff_intro": tr(
        "Déposez la liste du personnel telle que vous l'avez (XLSX ou CSV) : une ligne par agent,"
        " avec au moins le nom ou le courriel. Les dates JJ/MM/AAAA, « Contractuelle », « Vacataire"
        " »… sont comprises.",
        "Upload the staff list as you have it (XLSX or CSV): one row per agent, with at least the"
        " name or the e-mail. Dates DD/MM/YYYY, « Contractuelle », « Vacataire »… are understood.",
    ),
    "sheet_file": tr("Fichier du personnel", "Staff file"),
    "read_file": tr("Lire le fichier", "Read the file"),
    "header_choice": tr(
        "Quelle ligne contient les en-têtes de colonnes ?", "Which row holds the column headers?"
    ),
    "row": tr("Ligne", "Row"),
    "sample": tr("Exemple", "Example"),
    "use_header": tr("Utiliser cette ligne", "Use this row"),
    "mapping": tr("Que contient chaque colonne ?", "What does each column hold?"),
    "column": tr("Colonne", "Column"),
    "field": tr("Champ", "Field"),
    "ignore": tr("(ne pas lire)", "(do not read)"),
    "import": tr("Importer le personnel", "Import the staff"),
    "users": tr("Personnel importé", "Staff imported"),
    "users_intro": tr(
        "Cochez les profils de chacun ; décochez un profil qu'une personne ne peut pas détenir.",
        "Tick each person's profiles; untick a profile a person cannot hold.",
    ),
    "diploma": tr("Diplôme d'État", "State diploma"),
    "contract": tr("Contrat", "Contract"),
    "profiles_col": tr("Profils", "Profiles"),
    "another_file": tr("Déposer un autre fichier", "Upload another file"),
    "no_users": tr("Aucun agent importé pour l'instant.", "No staff imported yet."),
    "sheet_problems": tr(
        "Lignes à corriger dans le tableau (rien n'est importé)",
        "Rows to correct in the spreadsheet (nothing imported)",
    ),
    # attestation
    "attestation": tr(
        "Attestation sur l'honneur des diplômes d'État (profil T1)",
        "Attestation on honour of state diplomas (profile T1)",
    ),
    "attestation_intro": tr(
        "L'attestation liste chaque travailleur social T1 avec son diplôme, repris de la liste du"
        " personnel.",
        "The attestation lists each T1 social worker with their diploma, taken from the staff"
        " list.",
    ),
    "attestation_on": tr(
        "Date de signature par le représentant légal", "Date signed by the legal representative"
    ),
    "attestation_none": tr(
        "Aucun agent T1 avec un diplôme d'État admis et sa date.",
        "No T1 agent with an admitted state diploma and its date.",
    ),
    "awarded_on": tr("Obtenu le", "Awarded on"),
    "documents": tr(
        "Justificatifs des autres profils demandés",
        "Supporting documents of the other profiles requested",
    ),
    "documents_intro": tr(
        "La Caf demande les pièces qui montrent la légitimité de chaque profil : subvention"
        " d'action sociale de la Caf (T2), marché avec le département (T5), mission FSL (T13),"
        " mandat de protection (T9)…",
        "The Caf asks for the documents showing each profile is legitimate: the Caf's social-action"
        " subsidy (T2), a public contract with the department (T5), the FSL mission (T13), a"
        " protection mandate (T9)…",
    ),
    "document": tr("Justificatif", "Supporting document"),
    "document_on": tr(
        "Remis à la Caf le (facultatif avant la signature)",
        "Given to the Caf on (optional before signing)",
    ),
    "conditions": tr("Conditions posées par la Caf", "Conditions set by the Caf"),
    "conditions_intro": tr(
        "Ces profils demandés ne sont ouverts qu'à une condition : cochez celles qui sont remplies "
        "(et dont vous avez la confirmation écrite).",
        "These profiles requested are open only on a condition: tick those that are met "
        "(and of which you have written confirmation).",
    ),
    "no_conditions": tr(
        "Aucun profil demandé ne dépend d'une condition.",
        "No profile requested depends on a condition.",
    ),
    "no_attestation": tr(
        "Pas d'attestation T1 à préparer (profil T1 non demandé ou bulletin 2017).",
        "No T1 attestation to prepare (profile T1 not requested or 2017 bulletin).",
    ),
    # checklist
    "checklist": tr(
        "Avant la signature : documents à préparer", "Before signing: documents to prepare"
    ),
    "clean": tr(
        "Rien ne manque : aucun constat avant la signature.",
        "Nothing is missing: no finding before signing.",
    ),
    "downloads": tr("Téléchargements", "Downloads"),
    "dl_snapshot": tr(
        "Instantané YAML (avec le schéma pour votre éditeur)",
        "YAML snapshot (with the schema for your editor)",
    ),
    "dl_checklist": tr(
        "Liste avant signature (HTML imprimable)", "Pre-signature checklist (printable HTML)"
    ),
    "dl_report": tr(
        "Rapport complet (HTML prêt pour l'impression en PDF)",
        "Full report (HTML ready to print to PDF)",
    ),
    "redact": tr(
        "Pseudonymiser les noms, courriels et téléphones", "Pseudonymise names, e-mails and phones"
    ),
    "settles": tr("Constats réglés par ce document", "Findings this document settles"),
    "action": tr("Action", "Action"),
    "explain": tr("Explication de la règle", "Rule explanation"),
    "values": tr("Valeurs lues", "Values read"),
    "references": tr("Références", "References"),
    # auditor
    "auditor_report": tr("Rapport d'un partenaire", "Report of a partner"),
    "snapshot_file": tr(
        "Instantané (YAML ou JSON) ou archive zip d'un dossier d'instantanés",
        "Snapshot (YAML or JSON) or zip archive of a folder of snapshots",
    ),
    "as_of": tr("Date d'évaluation (vide : aujourd'hui)", "Evaluation date (empty: today)"),
    "check": tr("Produire le rapport", "Produce the report"),
    "diff": tr("Comparer deux rapports", "Compare two reports"),
    "diff_intro": tr(
        "Deux rapports JSON du même partenaire (cdap-policy check --format json, ou téléchargés"
        " depuis un rapport).",
        "Two JSON reports of the same partner (cdap-policy check --format json, or downloaded from"
        " a report).",
    ),
    "old": tr("Ancien rapport", "Old report"),
    "new": tr("Nouveau rapport", "New report"),
    "force": tr("Comparer même si les SIRET diffèrent", "Compare even if the SIRETs differ"),
    "compare": tr("Comparer", "Compare"),
    "limits": tr(
        "Limites : 32 Mio par envoi, 500 fichiers et 200 Mio décompressés par archive.",
        "Limits: 32 MiB per upload, 500 files and 200 MiB decompressed per archive.",
    ),
    "report": tr("Rapport de conformité CDAP", "CDAP compliance report"),
    "unreadable": tr("Instantanés illisibles", "Unreadable snapshots"),
    "dl_json": tr(
        "Rapport JSON (pour une comparaison l'an prochain)", "JSON report (to compare next year)"
    ),
    "dl_html": tr("Rapport HTML imprimable", "Printable HTML report"),
    "identification": tr("Identification", "Identification"),
    "summary": tr("Résumé", "Summary"),
    "findings": tr("Constats", "Findings"),
    "no_findings": tr(
        "Aucun constat en échec, en erreur ou dérogé.", "No failing, error or waived finding."
    ),
    "explained_elsewhere": tr(
        "Explication détaillée non affichée (pseudonymisation demandée ou trop de constats) : voir"
        " la règle.",
        "Detailed explanation not shown (pseudonymisation asked or too many findings): see the"
        " rule.",
    ),
    "diff_title": tr("Comparaison de deux rapports", "Comparison of two reports"),
    "new_findings": tr("Nouveaux constats", "New findings"),
    # rule page
    "rule": tr("Règle", "Rule"),
    "severity": tr("Gravité", "Severity"),
    "family": tr("Famille", "Family"),
    "requirements": tr("Exigences", "Requirements"),
    "stages": tr("Étapes", "Stages"),
    "editions": tr("Éditions du bulletin", "Bulletin editions"),
    "interpretation": tr("Interprétation retenue", "Interpretation"),
    "expression": tr("Condition vérifiée (CEL)", "Condition checked (CEL)"),
    "names_defined": tr(
        "Noms définis par la règle (let, CEL)", "Names the rule defines (let, CEL)"
    ),
    "applies_when": tr("S'applique quand (CEL)", "Applies when (CEL)"),
    "parameters": tr("Paramètres", "Parameters"),
    "error": tr("Erreur", "Error"),
}

# import-users' fields, as the mapping screen names them
FIELD_LABELS = {
    "id": tr("identifiant", "id"),
    "last_name": tr("nom", "last name"),
    "first_name": tr("prénom", "first name"),
    "email": tr("courriel", "e-mail"),
    "function": tr("fonction", "job title"),
    "profiles": tr("profil(s) CDAP", "CDAP profile(s)"),
    "diploma": tr("diplôme d'État", "state diploma"),
    "diploma_awarded_on": tr("date du diplôme", "diploma date"),
    "contract": tr("type de contrat", "contract type"),
    "contract_ends_on": tr("fin de contrat", "contract end"),
    "granted_on": tr("date d'habilitation", "habilitation date"),
    "login": tr("identifiant de connexion", "login"),
    "instructor_number": tr("numéro d'instructeur", "instructor number"),
}
