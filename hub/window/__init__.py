"""What the hub keeps for village windows beyond configuration: each unit's API token, the
county data registry (信息一库) the windows query, and the integrity blacklist (失信名单).

Everything about a person is keyed by the applicant's HMAC reference (protocol.identity): the
hub never sees an ID number.
"""
