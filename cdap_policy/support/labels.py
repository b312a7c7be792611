"""Names, in French and English, of the codes the snapshot schema enumerates (organisation
kinds, missions, management modes, frameworks), for prompts and comments a partner reads.

The codes themselves come from the live schema: a code without a name here is shown as the code
(tests/test_init.py says which names are missing when the schema grows).
"""

from __future__ import annotations

from cdap_policy.support.i18n import pick, tr

# the French names of the README table « Organisation kinds »
KINDS = {
    "state": tr("services de l'État", "State services"),
    "department": tr("conseil départemental", "departmental council"),
    "metropolis": tr("métropole", "metropolis"),
    "commune": tr("commune, mairie", "municipality"),
    "epci": tr("EPCI (communauté de communes, d'agglomération, urbaine)", "inter-municipal body"),
    "ccas": tr("centre communal d'action sociale", "municipal social-action centre"),
    "cias": tr("centre intercommunal d'action sociale", "inter-municipal social-action centre"),
    "region": tr("conseil régional (région, collectivité territoriale)", "regional council"),
    "hospital": tr(
        "établissement de soins, service hospitalier, clinique", "hospital or care establishment"
    ),
    "medico_social": tr("établissement médico-social", "medico-social establishment"),
    "carsat": tr("Carsat", "regional pension and occupational-health fund"),
    "cnav": tr("Cnav (rôle de Carsat en Île-de-France)", "national pension fund"),
    "msa": tr("Mutualité sociale agricole", "agricultural social security"),
    "cramif": tr("Cramif", "Île-de-France regional health-insurance fund"),
    "mdph": tr("maison départementale des personnes handicapées", "departmental disability centre"),
    "cpam": tr("Cpam", "primary health-insurance fund"),
    "cgss": tr("CGSS (outre-mer)", "overseas general social-security fund"),
    "urssaf": tr("Urssaf", "contribution-collection body"),
    "rsi": tr(
        "Régime social des indépendants (jusqu'au 31 décembre 2017)",
        "self-employed scheme (until 31 December 2017)",
    ),
    "cmsa": tr("caisse de MSA", "MSA fund"),
    "enim": tr("Enim", "seafarers' scheme"),
    "cnmss": tr("CNMSS", "military social security"),
    "crpcen": tr("CRPCEN", "notaries' clerks' scheme"),
    "cprp_sncf": tr("CPRP SNCF", "SNCF staff scheme"),
    "protection_body": tr(
        "mandataire judiciaire, service de tutelle ou curatelle", "guardianship / curatorship body"
    ),
    "social_landlord": tr("bailleur social", "social landlord"),
    "overindebtedness_commission": tr(
        "commission de surendettement", "over-indebtedness commission"
    ),
    "legal_aid_office": tr("bureau d'aide juridictionnelle", "legal-aid office"),
    "spip": tr("service pénitentiaire d'insertion et de probation", "probation service"),
    "fsl_body": tr("organisme gestionnaire du FSL (GIP…)", "housing solidarity fund body"),
    "approved_association": tr(
        "association agréée ou habilitée par le département",
        "association approved by the department",
    ),
    "association": tr("association", "association"),
    "caisse_des_depots": tr("Caisse des dépôts", "Caisse des dépôts"),
    "transport_social_pricing_provider": tr(
        "prestataire de l'autorité des transports d'Île-de-France",
        "Île-de-France transport authority provider",
    ),
    "dalo_commission": tr("commission de médiation Dalo", "DALO mediation commission"),
    "prefecture": tr("préfecture (secrétariat Ccapex)", "prefecture (Ccapex secretariat)"),
    "foreign_social_security": tr(
        "organisme de sécurité sociale d'un État de l'UE ou de la Suisse",
        "EU or Swiss social-security body",
    ),
    "pajemploi": tr("Centre national Pajemploi", "Pajemploi national centre"),
    "crous": tr("Crous", "student services"),
    "departmental_insertion_agency": tr(
        "agence départementale d'insertion (DOM)", "departmental insertion agency (overseas)"
    ),
    "social_service_provider": tr("prestataire de services sociaux", "social service provider"),
    "other": tr("autre", "other"),
}

# CONV art. 8: the missions a partner declares
MISSIONS = {
    "social_action": tr("action sociale", "social action"),
    "rsa_instruction": tr("instruction du RSA", "RSA instruction"),
    "rsa_followup": tr("suivi des dossiers RSA", "RSA file follow-up"),
    "rsa_support": tr("accompagnement des bénéficiaires du RSA", "support of RSA beneficiaries"),
    "rsa_litigation": tr("contentieux RSA", "RSA litigation"),
    "rsa_control": tr("contrôle RSA", "RSA control"),
    "family_contribution_pricing": tr(
        "participations des familles au quotient familial",
        "family contributions on the quotient familial",
    ),
    "social_pricing": tr(
        "tarification sociale (cantine à un euro…)", "social pricing (one-euro canteen…)"
    ),
    "health_insurance": tr("assurance maladie", "health insurance"),
    "special_health_schemes": tr(
        "régimes particuliers d'assurance maladie", "special health-insurance schemes"
    ),
    "protection_measures": tr(
        "mesures de protection (tutelle, curatelle)",
        "protection measures (guardianship, curatorship)",
    ),
    "social_housing": tr("logement social (tiers payant)", "social housing (third-party payment)"),
    "overindebtedness": tr("surendettement", "over-indebtedness"),
    "legal_aid": tr("aide juridictionnelle", "legal aid"),
    "probation": tr("insertion et probation", "probation"),
    "fsl": tr("fonds de solidarité pour le logement (FSL)", "housing solidarity fund (FSL)"),
    "survivor_pensions": tr("pensions de réversion et d'orphelin", "survivor and orphan pensions"),
    "transport_social_pricing": tr(
        "tarification sociale des transports", "transport social pricing"
    ),
    "dalo": tr("médiation Dalo", "DALO mediation"),
    "ccapex": tr("Ccapex (prévention des expulsions)", "Ccapex (eviction prevention)"),
    "frontier_workers": tr("travailleurs frontaliers", "frontier workers"),
    "pajemploi": tr("Pajemploi", "Pajemploi"),
    "student_social_support": tr("service social des étudiants", "student social support"),
    "caf_msa_transfer": tr(
        "transferts de dossiers entre Caf et MSA", "file transfers between Caf and MSA"
    ),
}

MODES = {
    "delegated": tr(
        "délégué : le partenaire gère lui-même ses habilitations",
        "delegated: the partner manages its own habilitations",
    ),
    "centralised": tr(
        "centralisé : la Caf gère les habilitations",
        "centralised: the Caf manages the habilitations",
    ),
}

FRAMEWORKS = {
    "mon_compte_partenaire": tr(
        "« Mon Compte Partenaire » (convention, contrat de service, bulletin CDAP)",
        "« Mon Compte Partenaire » (convention, service contract, CDAP bulletin)",
    ),
    "cafpro": tr(
        "CAFPRO (ancien service, remplacé par CDAP depuis 2017)",
        "CAFPRO (former service, replaced by CDAP since 2017)",
    ),
}


def label(table: dict, code, lang: str = "fr") -> str:
    """The name of `code` in `lang`, or the code itself when the table does not know it."""
    return pick(table[code], lang) if code in table else str(code)


# partner flags that open a profile beyond the organisation kind (schema `partner`), asked as
# yes/no questions by `init` and the web form when a profile requested depends on one
FLAGS = {
    "rsa_authority": tr(
        "la métropole exerce la compétence RSA d'un département",
        "the metropolis exercises a department's RSA competence",
    ),
    "special_status_authority": tr(
        "collectivité à statut particulier (Métropole de Lyon…)",
        "local authority with special status (Métropole de Lyon…)",
    ),
    "rsa_single_referent": tr(
        "référent unique RSA désigné par le département",
        "RSA single referent appointed by the department",
    ),
    "caf_social_action_subsidy": tr(
        "subventionné par la Caf au titre de l'action sociale",
        "subsidised by the Caf for social action",
    ),
    "social_pricing_scheme": tr(
        "applique une tarification sociale (cantine à un euro…)",
        "applies social pricing (one-euro canteen…)",
    ),
    "rsa_support_contract": tr(
        "conventionné pour l'accompagnement des bénéficiaires du RSA",
        "contracted to support RSA beneficiaries",
    ),
    "msa_transfer_managers": tr(
        "gestionnaires des transferts de dossiers Caf-MSA", "managers of Caf-MSA file transfers"
    ),
    "third_party_payment": tr(
        "perçoit l'aide au logement en tiers payant",
        "receives housing benefit as third-party payee",
    ),
    "rsa_instruction_mandate": tr(
        "mandaté par le département pour instruire le RSA",
        "mandated by the department to instruct RSA",
    ),
    "protection_mandate": tr(
        "mandat judiciaire de protection (tutelle, curatelle)",
        "court protection mandate (guardianship, curatorship)",
    ),
    "fsl_instruction": tr("instruit les demandes du FSL", "instructs FSL applications"),
    "ccas_t1_conditions_met": tr(
        "la Caf a confirmé par écrit que le CCAS remplit ses conditions pour le profil T1",
        "the Caf confirmed in writing that the CCAS meets its conditions for profile T1",
    ),
    "dpf_certified": tr(
        "certifié au cadre de protection des données UE–États-Unis (DPF)",
        "certified under the EU–US Data Privacy Framework",
    ),
}

BROWSERS = {
    "firefox": tr("Firefox", "Firefox"),
    "chrome": tr("Chrome", "Chrome"),
    "edge": tr("Edge", "Edge"),
    "safari": tr("Safari", "Safari"),
    "internet_explorer": tr("Internet Explorer", "Internet Explorer"),
    "other": tr("autre", "other"),
}

# what the letter informing the Caf of a provider states (CONV art. 14; snapshot `notice.lists`)
NOTICE_ITEMS = {
    "providers": tr("la liste des prestataires", "the list of providers"),
    "provider_locations": tr("la localisation des prestataires", "where the providers are"),
    "database_locations": tr(
        "la localisation des bases de données", "where the databases are located"
    ),
    "legal_regime": tr(
        "le régime juridique des outils utilisés", "the legal regime of the tools used"
    ),
    "tasks": tr("les tâches confiées", "the tasks entrusted"),
}

# commitments of a provider's contract (CONV art. 14; snapshot `clauses`)
CLAUSES = {
    "security": tr("sécurité des données", "data security"),
    "confidentiality": tr("confidentialité", "confidentiality"),
    "purpose_limitation": tr(
        "usage limité à la finalité de la convention", "use limited to the convention's purpose"
    ),
    "no_retention_after_end": tr(
        "aucune conservation après la fin du contrat", "no retention after the contract ends"
    ),
    "no_disclosure": tr("aucune communication à des tiers", "no disclosure to third parties"),
    "anti_misuse": tr(
        "mesures contre le détournement des données", "measures against misuse of the data"
    ),
    "physical_security": tr("sécurité physique des locaux", "physical security of the premises"),
    "audit": tr("droit d'audit", "right to audit"),
    "same_obligations_for_subcontractors": tr(
        "mêmes obligations imposées à ses propres sous-traitants",
        "the same obligations imposed on its own subcontractors",
    ),
}

# the safeguard of a transfer outside the EU without adequacy (snapshot `safeguard.kind`)
SAFEGUARDS = {
    "cnil_authorisation": tr(
        "autorisation préalable de la CNIL (délibération)", "the CNIL's prior authorisation"
    ),
    "standard_contractual_clauses": tr(
        "clauses contractuelles types de la Commission européenne",
        "the European Commission's standard contractual clauses",
    ),
    "binding_corporate_rules": tr("règles d'entreprise contraignantes", "binding corporate rules"),
    "art49_derogation": tr(
        "dérogation pour une situation particulière (RGPD art. 49)",
        "derogation for a specific situation (GDPR art. 49)",
    ),
}

DIPLOMAS = {
    "ASS": tr("assistant de service social (DEASS)", "social worker (DEASS)"),
    "CESF": tr(
        "conseiller en économie sociale et familiale (DECESF)",
        "social and family economics adviser (DECESF)",
    ),
    "ES": tr("éducateur spécialisé (DEES)", "specialised educator (DEES)"),
    "none": tr("aucun diplôme d'État", "no state diploma"),
    "other": tr("autre diplôme", "another diploma"),
}

CONTRACTS = {
    "civil_servant": tr("titulaire de la fonction publique", "civil servant"),
    "permanent": tr("CDI", "permanent contract"),
    "fixed_term": tr("CDD (contractuel)", "fixed-term contract"),
    "temporary": tr("intérim", "temporary work"),
    "intern": tr("stage", "internship"),
    "other": tr("autre (vacataire, contrat aidé…)", "other (casual, subsidised contract…)"),
}

USER_STATUSES = {
    "planned": tr("prévu", "planned"),
    "active": tr("actif", "active"),
    "suspended": tr("suspendu", "suspended"),
    "revoked": tr("désactivé", "revoked"),
    "left": tr("parti", "left"),
}

STAGES = {
    "pre-signature": tr("avant la signature", "before signing"),
    "opening": tr("ouverture de l'accès", "opening of access"),
    "operation": tr("fonctionnement", "operation"),
    "annual-review": tr("revue annuelle", "annual review"),
}

SEVERITIES = {
    "critical": tr("critique", "critical"),
    "high": tr("élevée", "high"),
    "medium": tr("moyenne", "medium"),
    "low": tr("faible", "low"),
    "info": tr("information", "info"),
}

ACCOUNT_TYPES = {
    "personal": tr("personnel", "personal"),
    "shared": tr("partagé", "shared"),
    "generic": tr("générique", "generic"),
    "technical": tr("technique", "technical"),
}

# what a finding is about (`entity.kind`), for pages people read; SARIF, JUnit and JSON keep the
# codes
ENTITY_KINDS = {
    "partner": tr("partenaire", "partner"),
    "user": tr("utilisateur", "user"),
    "profile": tr("profil", "profile"),
    "subcontractor": tr("prestataire", "provider"),
    "administrator": tr("administrateur", "administrator"),
    "daily_volume": tr("volume quotidien", "daily volume"),
    "data_store": tr("fichier de données", "data store"),
    "data_stores": tr("fichier de données", "data store"),
    "automation": tr("programme", "program"),
    "automations": tr("programme", "program"),
    "incident": tr("incident", "incident"),
    "incidents": tr("incident", "incident"),
    "review": tr("revue", "review"),
    "reviews": tr("revue", "review"),
    "consultation": tr("consultation", "consultation"),
    "fraud_file": tr("dossier de fraude", "fraud file"),
    "control_result": tr("résultat de contrôle", "control result"),
    "amendment": tr("avenant", "amendment"),
}
