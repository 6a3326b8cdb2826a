from django.db import migrations


def create_default_rule(apps, schema_editor):
    RoutingRule = apps.get_model("workflows", "RoutingRule")
    if not RoutingRule.objects.filter(is_default=True).exists():
        RoutingRule.objects.create(
            name="Default queue", is_default=True, position=2**31 - 1, conditions=[], actions={},
            description="Catches every case no other rule takes.",
        )


class Migration(migrations.Migration):
    dependencies = [("workflows", "0003_routing_assignment_automation_notifications")]

    operations = [migrations.RunPython(create_default_rule, migrations.RunPython.noop)]
