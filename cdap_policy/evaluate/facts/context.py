"""What rules read for one snapshot on one date: the sections converted to CEL once, the
aggregates, and the collections rules iterate over (built on first use, by the module of the
collection they describe)."""

from __future__ import annotations

from typing import Any

from cdap_policy import logs
from cdap_policy.engines.celfuncs import accepted_diplomas, function_check
from cdap_policy.evaluate.facts import convention as conv
from cdap_policy.evaluate.facts.entity import Entity, listed
from cdap_policy.evaluate.facts.logs import consultation_facts, daily_volume_entities
from cdap_policy.evaluate.facts.profiles import profile_entities
from cdap_policy.evaluate.facts.providers import flatten_providers
from cdap_policy.evaluate.facts.transfers import safeguards
from cdap_policy.evaluate.facts.users import (
    administrator_entities,
    all_codes,
    cel_view,
    counted_profiles,
    listed_profiles,
    periods,
    planned,
    user_entities,
)
from cdap_policy.load.snapshot import Snapshot
from cdap_policy.support import dates

SECTIONS = {
    "snapshot": dict,
    "partner": dict,
    "convention": dict,
    "contacts": dict,
    "users": list,
    "reviews": dict,
    "control": dict,
    "subcontractors": list,
    "data_stores": list,
    "automations": list,
    "incidents": list,
}


class Context:
    """Everything rules read for one snapshot at one evaluation date, converted to CEL once."""

    def __init__(
        self,
        snapshot: Snapshot,
        param_values: dict,
        as_of: str,
        edition: int | None = None,
        stage: str | None = None,
        engine=None,
    ):
        if engine is None:  # values for cel-python, the default engine
            from cdap_policy.engines.celpy import CelValues

            engine = CelValues()
        self.engine = engine
        self.to_cel = to_cel = engine.to_cel  # plain data as the engine's values
        self.snapshot = snapshot
        self.as_of = as_of
        data = snapshot.data
        self.edition = edition or data["convention"]["edition"]
        self.stage = stage
        self.sections: dict[str, Any] = {
            name: data.get(name) if data.get(name) is not None else kind()
            for name, kind in SECTIONS.items()
        }
        # users in key order: every list built from them (holders, messages, evidence) is the same
        # whatever order the snapshot writes them in; `user_index` keeps each one's place
        # for its line
        self.user_index = {u["id"]: index for index, u in enumerate(self.sections["users"])}
        self.sections["users"] = sorted(self.sections["users"], key=lambda u: u["id"])
        self.users = self.sections["users"]
        self.users_by_id = {u["id"]: u for u in self.users}
        self.user_positions = {u["id"]: index for index, u in enumerate(self.users)}
        # what rules read of each user on the date: the codes on the account, every profile period
        self.user_views = [cel_view(u, as_of) for u in self.users]
        self.catalogue = param_values["profiles"][str(self.edition)]
        self.countries = param_values.get("countries")
        self.quotas = conv.effective_quotas(self.sections["convention"], as_of)
        self.agg = self._aggregate(param_values)
        self.providers = flatten_providers(
            self.sections["subcontractors"],
            self.sections["partner"].get("name", "partner"),
            self.sections["convention"].get("signed_on"),
        )
        variables = {
            name: to_cel(self.user_views if name == "users" else value)
            for name, value in self.sections.items()
        }
        variables.update(
            {
                "providers": to_cel([e.data | {"chain": e.facts["chain"]} for e in self.providers]),
                "params": to_cel(param_values),
                "agg": to_cel(self.agg),
                "as_of": to_cel(as_of),
                "edition": to_cel(self.edition),
                "stage": to_cel(stage or "all"),
            }
        )
        # the edition's catalogue is part of params, already converted
        variables["catalogue"] = variables["params"]["profiles"][str(self.edition)]
        self.variables = variables
        self._collections: dict[str, list[Entity]] = {}
        self.daily_volumes: logs.DailyVolumes | None = (
            None  # given by the runner's pass over the log
        )

    def _function_assessment(self, profiles: list, view: dict) -> dict | None:
        """celfuncs.function_check for one user, on plain values; None (the rule reading it then
        gives an `error` finding) where the partner or the catalogue cannot be read that way."""
        try:
            return function_check(
                self.sections["partner"], self.catalogue, profiles, view, self.countries
            )
        except (TypeError, KeyError, AttributeError, ValueError):
            return None

    def _accepted_diplomas(self) -> dict:
        """celfuncs.accepted_diplomas for each entry of the edition's catalogue; an entry it cannot
        read is left out (a rule reading it then gives an `error` finding)."""
        out = {}
        for code, entry in self.catalogue.items():
            try:
                out[code] = accepted_diplomas(self.sections["partner"], entry)
            except (TypeError, KeyError, AttributeError, ValueError):
                continue
        return out

    def _aggregate(self, param_values: dict) -> dict:
        convention = self.sections["convention"]
        by_profile: dict[str, int] = {}
        logging_in = 0
        for user in self.users:
            profiles = counted_profiles(user, self.as_of)
            logging_in += bool(profiles)
            for profile in profiles:
                by_profile[profile] = by_profile.get(profile, 0) + 1
        planned_by_profile: dict[str, int] = {}
        for user in self.users:
            if planned(user):
                for profile in all_codes(user):
                    planned_by_profile[profile] = planned_by_profile.get(profile, 0) + 1
        # planned users hold nothing: their profiles and any planned date are not grants
        grants = sorted(
            d
            for u in self.users
            if not planned(u)
            for d in [u.get("granted_on"), *(p["granted_on"] for p in periods(u))]
            if d
        )
        documents_by = self._documents_by(convention)
        # a replaced administrator no longer counts (QUOTA-ADMINS); before signature,
        # those designated
        # for the planned signature day count
        admins, replaced_admins = conv.current_administrators(
            self.sections["contacts"].get("administrators") or [], documents_by
        )
        first_by_profile: dict[
            str, str
        ] = {}  # earliest grant of each profile over the history (COORD: the first T19 access)
        for user in self.users:
            if planned(user):
                continue
            for period in periods(user):
                profile, day = period["profile"], period["granted_on"]
                if day and (profile not in first_by_profile or day < first_by_profile[profile]):
                    first_by_profile[profile] = day
        opened = [
            d for d in (convention.get("access_opened_on"), grants[0] if grants else None) if d
        ]
        coordination_ended_on = conv.coordination_ended_on(
            self.sections["control"], param_values["coordination_notice_months"]
        )
        mode = conv.management_mode(convention, self.as_of)
        return {
            # the period an auditor reviews (recurring obligations: yearly plans, quarterly
            # committees, yearly ceilings): from this day, exclusive, to the evaluation date;
            # older gaps are summarised apart
            "review_from": dates.months_after(self.as_of, -param_values["review_period_months"]),
            "documents_by": documents_by,
            "first_granted_on": grants[0] if grants else None,
            "first_granted_by_profile": first_by_profile,
            "coordination_ended_on": coordination_ended_on,
            # the T19 coordination convention's period, for its recurring obligations (the
            # quarterly committee): from its signature (else the first T19 grant) to its end, or
            # the evaluation date while it runs
            "coordination_started_on": conv.coordination_started_on(
                self.sections["control"], first_by_profile.get("T19")
            ),
            "coordination_period_end": (
                min(coordination_ended_on, self.as_of) if coordination_ended_on else self.as_of
            ),
            # the control plan judged: the latest validated by `documents_by`, else the last
            # one listed
            "latest_control_plan": conv.latest_control_plan(self.sections["control"], documents_by),
            # the end of the convention's engagements after a termination: its effective date,
            # not before the notice runs out
            "convention_ended_on": conv.convention_ended_on(
                convention, self.snapshot.framework, param_values
            ),
            "profiles_held": sorted(
                {p for u in self.users for p in listed_profiles(u, self.as_of)}
            ),  # planned users too (GOV-EDITION)
            # access is open from the recorded date or from the first grant, whichever is earlier
            "opened_on": min(opened) if opened else None,
            "management_mode": mode,
            # profile -> the diplomas its catalogue entry admits for this partner, computed once:
            # as a CEL call per user, the runtime would convert the partner and the entry each time
            "accepted_diplomas": self._accepted_diplomas(),
            "management_mode_in_practice": convention.get("management_mode_in_practice") or mode,
            # accounts that can log in with a profile granted by the date (QUOTA-PROFILE,
            # QUOTA-TOTAL)
            "active_users": logging_in,
            "active_by_profile": by_profile,
            "active_habilitations": sum(by_profile.values()),
            "planned_users": sum(1 for u in self.users if planned(u)),
            "planned_by_profile": planned_by_profile,
            "quotas": {code: info["quota"] for code, info in self.quotas.items()},
            "quota_total": sum(info["quota"] for info in self.quotas.values()),
            "administrators": len(admins),
            "principal_administrators": sum(1 for a in admins if a.get("role") == "principal"),
            "deputy_administrators": sum(1 for a in admins if a.get("role") == "deputy"),
            "replaced_administrators": replaced_admins,
        }

    def _documents_by(self, convention: dict) -> str:
        """The day by which a document the partner prepares counts as present: the evaluation date,
        or
        before signature the planned signature date when it is later (an administrator designated,
        an
        attestation or an order dated for the signature day is ready, not missing). Before signature
        with no planned date recorded, a prepared document counts whatever its date: nothing says it
        comes after the signature."""
        if self.stage != "pre-signature":
            return self.as_of
        planned = [
            d
            for d in (
                convention.get("signed_on"),
                convention.get("service_contract_signed_on"),
                convention.get("bulletin_signed_on"),
            )
            if d
        ]
        return max([self.as_of, *planned]) if planned else "9999-12-31"

    # -- collections ------------------------------------------------------------------------
    # Collections whose entities are not each evaluated by many rules: the log's daily volumes are
    # evaluated once per distinct count (55,000 days, a few hundred counts), so their values are
    # handed to the engine per evaluation, not prepared all at once.
    SPARSE = {"daily_volumes"}
    # Collections whose entities' data are, in order, the items of a section: an engine that
    # prepares values reads them there instead of preparing them a second time.
    SECTION_ITEMS = {
        "users": "users",
        "data_stores": "data_stores",
        "automations": "automations",
        "incidents": "incidents",
    }

    def collection(self, name: str) -> list[Entity]:
        if name not in self._collections:
            entities = self._collections[name] = self._build(name)
            if name not in self.SPARSE:
                section = self.SECTION_ITEMS.get(name)
                # the users variable holds each user's view (cel_view), which the entities carry
                items = (
                    self.user_views
                    if section == "users"
                    else self.sections.get(section)
                    if section
                    else None
                )
                same = (
                    items is not None
                    and len(items) == len(entities)
                    and all(e.data is i for e, i in zip(entities, items, strict=True))
                )
                if section and same:
                    self.engine.bind(entities, name, shared=(section, self.variables[section]))
                else:
                    self.engine.bind(entities, name)
        return self._collections[name]

    def prepare(self, names) -> None:
        """Build these collections now, before any rule runs: an engine that prepares values
        (the native one) then takes them all in one go."""
        for name in names:
            if name not in self.SPARSE:
                self.collection(name)

    def _build(self, name: str) -> list[Entity]:
        s = self.sections
        if name == "partner":
            return [
                Entity(
                    "partner",
                    "partner",
                    ("partner",),
                    s["partner"],
                    {},
                    s["partner"].get("name", ""),
                )
            ]
        if name == "users":
            return user_entities(
                self.users,
                self.user_views,
                self.user_index,
                self.variables["users"],
                s["convention"].get("t1_attestation"),
                self.as_of,
                self._function_assessment,
            )
        if name == "profiles":
            return profile_entities(
                self.users,
                self.user_index,
                self.quotas,
                s["convention"].get("quotas") or {},
                self.catalogue,
                self.as_of,
            )
        if name == "administrators":
            return administrator_entities(s["contacts"].get("administrators") or [], self.users)
        if name == "subcontractors":
            return self.providers
        if name == "amendments":
            return conv.amendment_entities(s["convention"], self.users, self.as_of)
        if name == "daily_volumes":
            if self.daily_volumes is None:  # no pass over the log yet
                self.daily_volumes = logs.daily_volumes(self.snapshot, self.consultation_facts)
            return daily_volume_entities(self.daily_volumes)
        lists = {
            "data_stores": ("data_store", s["data_stores"], ("data_stores",), "id"),
            "automations": ("automation", s["automations"], ("automations",), "id"),
            "incidents": ("incident", s["incidents"], ("incidents",), "id"),
            "fraud_files": (
                "fraud_file",
                s["control"].get("fraud_files"),
                ("control", "fraud_files"),
                "file",
            ),
            "control_results": (
                "control_result",
                s["control"].get("results"),
                ("control", "results"),
                "id",
            ),
        }
        kind, items, path, key = lists[name]
        entities = listed(kind, items, path, key)
        if (
            name == "data_stores"
        ):  # a store outside the EEA is judged on its safeguards, as a provider is
            for entity in entities:
                entity.facts = {"safeguards": safeguards(entity.data)}
        return entities

    # -- activations ------------------------------------------------------------------------
    def activation(self, entity: Entity) -> dict:
        act = dict(self.variables)
        if entity._cel is None:  # converted once, on first use
            entity._cel = self.to_cel(entity.data)
        if entity._cel_facts is None:
            entity._cel_facts = self.to_cel(entity.facts)
        act["entity"] = entity._cel
        act["facts"] = entity._cel_facts
        return act

    def consultation_facts(self, row: dict) -> dict:
        return consultation_facts(self.users_by_id, self.user_positions, row)

    def row_activation(self, row: dict, facts: dict) -> dict:
        """What expressions read for one consultation of the log and its facts."""
        act = dict(self.variables)
        act["entity"] = self.to_cel(row)
        act["facts"] = self.to_cel(facts)
        return act
