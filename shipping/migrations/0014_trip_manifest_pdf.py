from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('shipping', '0013_pick_list_pdf'),
    ]

    operations = [
        migrations.AddField(
            model_name='deliverytrip',
            name='pdf',
            field=models.FileField(blank=True, max_length=200, upload_to='shipping/manifests/%Y/%m/'),
        ),
        migrations.AddField(
            model_name='deliverytrip',
            name='pdf_stamp',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
    ]
