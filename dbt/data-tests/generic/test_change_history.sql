{% test change_history(model) %}

{#- Fails for each row whose change-detection times are out of order: a row
    is first seen, then changed, then delivered again (first_seen_at <=
    last_changed_at <= ingested_at), all three set. -#}

select *
from {{ model }}
where
    first_seen_at is null
    or last_changed_at is null
    or first_seen_at > last_changed_at
    or last_changed_at > ingested_at

{% endtest %}
