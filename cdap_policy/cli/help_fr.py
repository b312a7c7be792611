"""The French of the commands' help texts, written in English in each command's module: `localise`
shows these by default and the English with `--lang en`. A test lists any help text missing here."""

from __future__ import annotations

FR_HELP = {
    "Check a partner's CDAP configuration against the convention, the contrat de service and the"
    " bulletin.": (
        "Vérifier la configuration CDAP d'un partenaire contre la convention, le contrat de service"
        " et le bulletin d'adhésion."
    ),
    "Show the version and exit.": "Afficher la version et quitter.",
    "Check snapshot(s): files, folders (recursively) or quoted globs, and report findings.": (
        "Vérifier des instantanés (fichiers, dossiers parcourus récursivement ou motifs entre"
        " guillemets) et rendre compte des constats."
    ),
    "jsonl: one report per line, written as each snapshot is checked.": (
        "jsonl : un rapport par ligne, écrit à mesure que chaque instantané est vérifié."
    ),
    "Write the report to this file (« - »: standard output), replaced only once the run"
    " succeeded.": (
        "Écrire le rapport dans ce fichier (« - » : la sortie standard), remplacé seulement une"
        " fois l'exécution réussie."
    ),
    "Evaluation date YYYY-MM-DD (default today): the only 'now' rules see.": (
        "Date d'évaluation AAAA-MM-JJ (par défaut aujourd'hui) : le seul « maintenant » que voient"
        " les règles."
    ),
    "Policy pack directory (default: the shipped pack).": (
        "Dossier du paquet de règles (par défaut : le paquet livré)."
    ),
    "YAML file overriding pack parameters (quotas, durations, country lists).": (
        "Fichier YAML qui remplace des paramètres du paquet (quotas, durées, listes de pays)."
    ),
    "Run only the rules of this lifecycle stage.": (
        "N'exécuter que les règles de cette étape (avant la signature, ouverture, fonctionnement,"
        " revue annuelle)."
    ),
    "Override the bulletin edition the snapshot declares.": (
        "Remplacer l'édition du bulletin que déclare l'instantané."
    ),
    "Run only this rule (repeatable; with --family: those rules too).": (
        "N'exécuter que cette règle (répétable ; avec --family : ces règles aussi)."
    ),
    "Run only the rules of this family (repeatable).": (
        "N'exécuter que les règles de cette famille (répétable)."
    ),
    "Lowest severity of a failure that makes the exit code 1 (errors always do).": (
        "Gravité la plus basse d'un échec qui donne le code de sortie 1 (une erreur le donne"
        " toujours)."
    ),
    "Language of messages, remediations and errors.": (
        "Langue des messages, des actions et des erreurs (fr ou en)."
    ),
    "List passing and not-applicable checks too.": (
        "Lister aussi les contrôles conformes et non applicables."
    ),
    "CEL engine: cel-python's compiled runner (default for one snapshot), its interpreter"
    " (reference), or the native Rust runtime (pip install '.[fast]'; default for several"
    " snapshots when installed: the same reports, faster).": (
        "Moteur CEL : l'exécuteur compilé de cel-python (par défaut pour un instantané), son"
        " interpréteur (référence) ou le moteur natif en Rust (pip install '.[fast]' ; par défaut"
        " pour plusieurs instantanés s'il est installé : les mêmes rapports, plus vite)."
    ),
    "Replace names, e-mails and phone numbers with stable pseudonyms (key:"
    " CDAP_POLICY_REDACT_KEY); entity keys stay usable.": (
        "Remplacer noms, courriels et téléphones par des pseudonymes stables (clé :"
        " CDAP_POLICY_REDACT_KEY) ; les clés des entités restent utilisables."
    ),
    "Also allow consultation logs in this folder (repeatable); by default a log must be in the"
    " snapshot's folder.": (
        "Accepter aussi les journaux de consultation de ce dossier (répétable) ; par défaut un"
        " journal doit être dans le dossier de l'instantané."
    ),
    "Stop the whole run after this many seconds (exit 2, nothing written); 0: no limit.": (
        "Arrêter toute l'exécution après ce nombre de secondes (code 2, rien n'est écrit) ; 0 :"
        " sans limite."
    ),
    "A previous `check --format json` report of the same partner: only findings it does not hold"
    " count for the exit code.": (
        "Un rapport précédent (check --format json) du même partenaire : seuls les constats qu'il"
        " ne contient pas comptent pour le code de sortie."
    ),
    "Waiver file (YAML, schemas/waivers.schema.json); default: <snapshot>.waivers.yaml next to"
    " each snapshot.": (
        "Fichier de dérogations (YAML, schemas/waivers.schema.json) ; par défaut :"
        " <instantané>.waivers.yaml à côté de chaque instantané."
    ),
    "Apply no waiver, not even a <snapshot>.waivers.yaml found next to the snapshot.": (
        "N'appliquer aucune dérogation, pas même un <instantané>.waivers.yaml trouvé à côté de"
        " l'instantané."
    ),
    "Processes checking snapshots in parallel (default: the number of cores available; at most 2"
    " a core, and 64).": (
        "Processus qui vérifient les instantanés en parallèle (par défaut : le nombre de cœurs"
        " disponibles ; au plus 2 par cœur, et 64)."
    ),
    "Check only the K-th of N disjoint shares of the snapshots (CI matrix jobs, job arrays).": (
        "Ne vérifier que la K-ième de N parts disjointes des instantanés (matrices de CI, tableaux"
        " de tâches)."
    ),
    "Also write the batch summary (by family, rule, partner) to this file, as JSON.": (
        "Écrire aussi la synthèse du lot (par famille, règle, partenaire) dans ce fichier, en JSON."
    ),
    "No progress bar (none is shown in CI or when standard error is not a terminal).": (
        "Pas de barre de progression (aucune n'est affichée en CI ni quand la sortie d'erreur n'est"
        " pas un terminal)."
    ),
    "Validate snapshot(s) against the schema only: files, folders (recursively) or quoted globs.": (
        "Valider des instantanés contre le schéma seulement : fichiers, dossiers (récursivement) ou"
        " motifs entre guillemets."
    ),
    "Show the configuration in force: each value and where it comes from.": (
        "Afficher la configuration en vigueur : chaque valeur et d'où elle vient."
    ),
    "Also allow consultation logs in this folder (repeatable).": (
        "Accepter aussi les journaux de consultation de ce dossier (répétable)."
    ),
    "Compare two reports of `check --format json`: new, resolved (absent), unchanged and updated"
    " findings.": (
        "Comparer deux rapports de check --format json : constats nouveaux, résolus (absents),"
        " inchangés et modifiés."
    ),
    "Write the diff to this file (« - »: standard output), replaced only once it is complete.": (
        "Écrire la comparaison dans ce fichier (« - » : la sortie standard), remplacé seulement une"
        " fois complète."
    ),
    "Lowest severity of a new failing finding that makes the exit code 1 (a new error always"
    " does).": (
        "Gravité la plus basse d'un nouveau constat en échec qui donne le code de sortie 1 (une"
        " nouvelle erreur le donne toujours)."
    ),
    "Compare reports of two different partners (SIRET) anyway.": (
        "Comparer quand même les rapports de deux partenaires différents (SIRET)."
    ),
    "Write a starter snapshot (default instantane-cdap.yaml) from a few questions.": (
        "Écrire un instantané de départ (par défaut instantane-cdap.yaml) à partir de quelques"
        " questions."
    ),
    "Organisation kind (code of the README table, e.g. ccas); asked with the French names"
    " otherwise.": (
        "Type d'organisme (code du tableau du README, par exemple ccas) ; demandé avec les noms"
        " français sinon."
    ),
    "Legal name of the partner.": "Nom de l'organisme partenaire.",
    "SIRET number (14 digits, checksum verified).": (
        "Numéro SIRET (14 chiffres, clé de contrôle vérifiée)."
    ),
    "Department code (44, 2A, 974…).": "Code du département (44, 2A, 974…).",
    "mon_compte_partenaire (default) or cafpro.": (
        "Cadre contractuel : mon_compte_partenaire (par défaut) ou cafpro."
    ),
    "Edition of the CDAP bulletin (default: the latest).": (
        "Édition du bulletin d'adhésion CDAP (par défaut : la plus récente)."
    ),
    "A mission of CONV art. 8 (repeatable); default: those of the profiles requested.": (
        "Une mission de l'article 8 de la convention (répétable) ; par défaut : celles des profils"
        " demandés."
    ),
    "A profile requested and its number of users (repeatable), e.g. T1=4.": (
        "Un profil demandé et son nombre d'utilisateurs (répétable), par exemple T1=4."
    ),
    "Management mode: delegated (default) or centralised.": (
        "Mode de gestion : delegated (délégué, par défaut) ou centralised (centralisé)."
    ),
    "The principal administrator: name, e-mail and phone, separated by commas (each optional).": (
        "L'administrateur principal : nom, courriel et téléphone, séparés par des virgules (chacun"
        " facultatif)."
    ),
    "The deputy administrator: name, e-mail and phone, separated by commas (each optional).": (
        "L'administrateur suppléant : nom, courriel et téléphone, séparés par des virgules (chacun"
        " facultatif)."
    ),
    "The security officer: name, e-mail and phone, separated by commas (each optional).": (
        "Le responsable de la sécurité : nom, courriel et téléphone, séparés par des virgules"
        " (chacun facultatif)."
    ),
    "The data protection officer: name, e-mail and phone, separated by commas (each optional).": (
        "Le délégué à la protection des données : nom, courriel et téléphone, séparés par des"
        " virgules (chacun facultatif)."
    ),
    "The level-1 user support: name, e-mail and phone, separated by commas (each optional).": (
        "Le support utilisateurs de niveau 1 : nom, courriel et téléphone, séparés par des virgules"
        " (chacun facultatif)."
    ),
    "A service provider's name (repeatable).": "Le nom d'un prestataire (répétable).",
    "Ask nothing: options and defaults only (--kind and --name are then required).": (
        "Ne rien demander : options et valeurs par défaut seulement (--kind et --name sont alors"
        " obligatoires)."
    ),
    "Replace FILE if it exists.": "Remplacer le fichier s'il existe.",
    "Import users from a staff spreadsheet (French headers recognised) into a snapshot.": (
        "Importer les utilisateurs d'un tableau du personnel (en-têtes français reconnus) dans un"
        " instantané."
    ),
    "Snapshot whose users section receives the rows (written in place; every other line is"
    " kept).": (
        "Instantané dont la section users reçoit les lignes (écrit sur place ; toutes les autres"
        " lignes sont gardées)."
    ),
    'Read the column HEADER as FIELD (repeatable), e.g. --map "Nom de l\'agent=last_name".': (
        'Lire la colonne EN-TÊTE comme le champ CHAMP (répétable), par exemple --map "Nom de'
        " l'agent=last_name\"."
    ),
    "Worksheet of an XLSX workbook (default: the active one).": (
        "Feuille d'un classeur XLSX (par défaut : la feuille active)."
    ),
    "Profile for rows whose profile cell is empty (repeatable), e.g. --profile T1.": (
        "Profil des lignes dont la cellule Profil est vide (répétable), par exemple --profile T1."
    ),
    "Status of the users added (planned: not habilitated yet); existing users keep theirs.": (
        "Statut des utilisateurs ajoutés (planned : prévu, pas encore habilité) ; les utilisateurs"
        " existants gardent le leur."
    ),
    "Date the legal representative signs the T1 attestation on honour: writes"
    " convention.t1_attestation from the diplomas of the T1 users (their type and date),"
    " nothing typed twice.": (
        "Date de signature de l'attestation sur l'honneur T1 par le représentant légal : écrit"
        " convention.t1_attestation à partir des diplômes des utilisateurs T1 (type et date), sans"
        " rien saisir deux fois."
    ),
    "Print the snapshot that would be written, write nothing.": (
        "Afficher l'instantané qui serait écrit, sans rien écrire."
    ),
    'Print the shell completion script: eval "$(cdap-policy completion bash)" (see the README).': (
        'Afficher le script de complétion du shell : eval "$(cdap-policy completion bash)" (voir le'
        " README)."
    ),
    "Generate the reference of every rule: requirement, article, editions, stages, severity,"
    " parameters, worked examples.": (
        "Produire la référence de chaque règle : exigence, article, éditions, étapes, gravité,"
        " paramètres, exemples."
    ),
    "Folder of the reference (the repository keeps it in docs/rules).": (
        "Dossier de la référence (le dépôt la garde dans docs/rules)."
    ),
    "Write nothing; exit 1 when the folder is not the current reference.": (
        "Ne rien écrire ; code 1 quand le dossier n'est pas la référence à jour."
    ),
    "Serve the partner's self-assessment and the auditor's report on web pages (extra: pip"
    " install '.[web]').": (
        "Servir l'auto-évaluation du partenaire et le rapport de l'auditeur dans des pages web"
        " (extra : pip install '.[web]')."
    ),
    "Run the rules' test cases: of the whole pack, of one pack folder, or of one policy file.": (
        "Exécuter les cas de test des règles : de tout le paquet, d'un dossier de paquet ou d'un"
        " fichier de règles."
    ),
    "Only the cases of this rule (repeatable).": "Seulement les cas de cette règle (répétable).",
    "List every case, not only failures.": "Lister chaque cas, pas seulement les échecs.",
    "List the rules with their requirements, severity, stages, editions and frameworks.": (
        "Lister les règles avec leurs exigences, gravité, étapes, éditions et cadres."
    ),
    "List the pack's parameters: value, unit, source document (with --params: the values in"
    " force).": (
        "Lister les paramètres du paquet : valeur, unité, document source (avec --params : les"
        " valeurs en vigueur)."
    ),
    "Show a rule: its legal source, interpretation, expressions, parameters and test cases;\nwith"
    " --snapshot, why it passes or fails on one entity.": (
        "Montrer une règle : sa source juridique, son interprétation, ses expressions, paramètres"
        " et cas de test ;\navec --snapshot, pourquoi elle est conforme ou en échec sur une entité."
    ),
    "Explain the rule on an entity of this snapshot: the values read, each sub-condition, the"
    " outcome.": (
        "Expliquer la règle sur une entité de cet instantané : les valeurs lues, chaque"
        " sous-condition, le résultat."
    ),
    "Key of the entity (user id, profile code, provider path…); with --snapshot.": (
        "Clé de l'entité (identifiant d'utilisateur, code de profil, chemin du prestataire…) ; avec"
        " --snapshot."
    ),
    "A finding's fingerprint (or a unique prefix of 8+ characters); with --snapshot, RULE_ID is"
    " then optional.": (
        "L'empreinte d'un constat (ou un préfixe unique d'au moins 8 caractères) ; avec --snapshot,"
        " RULE_ID devient facultatif."
    ),
    "Evaluation date YYYY-MM-DD (default today), as given to check.": (
        "Date d'évaluation AAAA-MM-JJ (par défaut aujourd'hui), comme pour check."
    ),
    "Override the bulletin edition, as given to check.": (
        "Remplacer l'édition du bulletin, comme pour check."
    ),
    "For every requirement of the catalogue: the rules implementing it and their test counts.": (
        "Pour chaque exigence du catalogue : les règles qui la mettent en œuvre et leurs nombres de"
        " cas de test."
    ),
}
